import type { ChangeSummary } from './changes.js'
import type { ErrorInfo, Problem } from './errors.js'
import type { AbortInfo, TransactionReason } from './record.js'

/** Fields every event carries. */
export interface EventBase {
  /** The committed version after this event. */
  readonly version: number
  /** The id of this process run: "version 7 of this run" is not "version 7 of the last run". */
  readonly runId: string
  /** Root-relative paths the event is about. */
  readonly paths: readonly string[]
  /** ISO time the event was created. */
  readonly time: string
}

/** The instance finished its initial load and is watching. */
export interface ReadyEvent extends EventBase {
  readonly type: 'ready'
  /** Number of files being watched. */
  readonly files: number
  readonly durationMs: number
}

/** Fields of the events that end a transaction. */
interface TransactionEventBase extends EventBase {
  readonly id: number
  readonly reason: TransactionReason
  readonly changes: readonly ChangeSummary[]
  readonly durationMs: number
}

/** A transaction committed; delivered after every plugin's commit. */
export interface AppliedEvent extends TransactionEventBase {
  readonly type: 'applied'
  readonly plugins: readonly string[]
}
/** Validate found problems; nothing changed. */
export interface RejectedEvent extends TransactionEventBase {
  readonly type: 'rejected'
  readonly problems: readonly Problem[]
}
/** An apply step failed or timed out; every applied step was undone. */
export interface RolledBackEvent extends TransactionEventBase {
  readonly type: 'rolled-back'
  readonly error: ErrorInfo
}
/** A prepare tap (an outside vote) stopped the transaction before anything was applied. */
export interface AbortedEvent extends TransactionEventBase {
  readonly type: 'aborted'
  readonly abort: AbortInfo
}
/** A dry run: what would change, and the problems it would be rejected for. */
export interface DryRunEvent extends TransactionEventBase {
  readonly type: 'dry-run'
  readonly problems: readonly Problem[]
  readonly plugins: readonly string[]
}
/**
 * Files a rejected, aborted or rolled-back transaction left pending are back to the bytes that
 * are applied (an edit undone, a `git checkout` of the file): nothing is rejected any more, and no
 * transaction ran, since nothing changed. `paths` are the files put back.
 */
export interface ResolvedEvent extends EventBase {
  readonly type: 'resolved'
}
/** Something failed outside a transaction's outcome: the watcher, a listener, a notify tap. */
export interface ErrorEvent extends EventBase {
  readonly type: 'error'
  readonly error: ErrorInfo
}

/**
 * Core events by type. Plugins add theirs by declaration merging into `PluginEventMap`:
 * `declare module '@hotreload/core' { interface PluginEventMap { 'config:changed': ... } }`.
 */
export interface CoreEventMap {
  ready: ReadyEvent
  applied: AppliedEvent
  rejected: RejectedEvent
  'rolled-back': RolledBackEvent
  aborted: AbortedEvent
  'dry-run': DryRunEvent
  resolved: ResolvedEvent
  error: ErrorEvent
}

/** Extended by plugins through declaration merging; each value must have `type` equal to its key. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PluginEventMap {}

/** Every event type, the core's and the plugins' (added to `PluginEventMap` by declaration merging), by name. */
export type EventMap = CoreEventMap & PluginEventMap
/** The name of any event: `ready`, `applied`, ..., and the plugins' (`config:changed`, ...). */
export type EventType = keyof EventMap
/** Any event an instance emits: the union `on('*')`, `onEvent` and `--json` deliver. */
export type HotReloadEvent = EventMap[EventType]
/** Fields the kernel stamps on every event when it is delivered. */
export type StampedFields = 'version' | 'runId' | 'time'
/** Any event before the kernel stamps `version`, `runId` and `time` on it. */
export type EventInput = { [K in EventType]: Omit<EventMap[K], StampedFields> }[EventType]

/**
 * A plugin event as a plugin emits it; the kernel stamps `version`, `runId` and `time` on
 * delivery. Only types declared in `PluginEventMap` can be emitted.
 */
export type PluginEvent = {
  [K in keyof PluginEventMap]: Omit<PluginEventMap[K], StampedFields>
}[keyof PluginEventMap]

/** The core's event types, as chokidar lists its EVENTS: a frozen tuple with a derived type. */
export const EVENT_TYPES = Object.freeze(['ready', 'applied', 'rejected', 'rolled-back', 'aborted', 'dry-run', 'resolved', 'error'] as const)

// Fails to compile if the list and the CoreEventMap drift apart.
type Listed = (typeof EVENT_TYPES)[number]
const exhaustive: [Exclude<keyof CoreEventMap, Listed>, Exclude<Listed, keyof CoreEventMap>] extends [never, never] ? true : false = true
void exhaustive
