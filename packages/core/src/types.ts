import type { KernelHooks } from './hooks.js'

/** What happened to one file, as reconciled against the last applied state. */
export type ChangeKind = 'created' | 'modified' | 'deleted' | 'renamed'

/** Size, modification time and sha256 of a file's bytes: identical bytes mean no change. */
export interface Fingerprint {
  readonly size: number
  readonly mtimeMs: number
  readonly hash: string
}

/**
 * One file change inside a transaction. Paths are relative to the root with `/` separators.
 * `fingerprint` is the state on disk when the batch was built (absent for `deleted`);
 * `previous` is the fingerprint last applied (absent for `created`).
 */
export interface FileChange {
  readonly kind: ChangeKind
  readonly path: string
  readonly absolutePath: string
  /** For `renamed`: the root-relative path the content used to live at. */
  readonly from?: string
  readonly fingerprint?: Fingerprint
  readonly previous?: Fingerprint
}

/**
 * A problem found while validating: it rejects the transaction. `line`/`column` are 1-based and
 * present when the parser or compiler knows them; `hint` says how to fix it.
 */
export interface Problem {
  readonly plugin: string
  readonly code: string
  readonly message: string
  readonly path?: string
  readonly line?: number
  readonly column?: number
  readonly keyPath?: string
  readonly hint?: string
}

/** Why a transaction ran. `initial` is the load at start; `manual` comes from `reload()`. */
export type TransactionReason = 'initial' | 'watch' | 'manual'

/**
 * The transaction a batch of changes runs in, handed to every hook. Plugins claim the changes
 * they own in `detect`, stage new state and report problems in `validate`, swap the staged state
 * in and register its undo in `apply`. Events emitted here are delivered only after commit.
 */
export interface Transaction {
  /** Attempt number, increasing for every transaction including rejected ones. */
  readonly id: number
  /** The version this transaction commits as if it succeeds (the current version + 1). */
  readonly version: number
  readonly reason: TransactionReason
  readonly dryRun: boolean
  /** Every change in the batch, ordered deletes, creates (and renames), modifies. */
  readonly changes: readonly FileChange[]
  /** Aborted when the transaction is superseded or a stage runs past its time limit. */
  readonly signal: AbortSignal
  /** Marks changes as owned by `plugin`; a change may be claimed by several plugins. */
  claim(plugin: string, change: FileChange): void
  /** The changes `plugin` claimed in detect. */
  claimed(plugin: string): readonly FileChange[]
  /** Every plugin that claimed at least one change. */
  claimants(): readonly string[]
  /** Reports a validation problem; all problems are collected and the transaction is rejected. */
  problem(problem: Problem): void
  /** The problems reported so far. */
  problems(): readonly Problem[]
  /**
   * Reads a changed file's bytes as they were fingerprinted, so every plugin sees the same
   * content the hash describes. Rejects for a deleted file.
   */
  read(change: FileChange): Promise<Buffer>
  /**
   * Registers how to undo what `apply` just did. Undo functions run in reverse order of
   * registration when a later apply step fails or times out.
   */
  onRollback(plugin: string, undo: () => void | Promise<void>): void
  /** Queues an event for subscribers; delivered after commit, dropped on reject or rollback. */
  emit(event: PluginEvent): void
  /** Free-form per-plugin scratch space, for state staged in validate and used in apply. */
  readonly staged: Map<string, unknown>
}

/**
 * How a transaction ended. `unchanged`: every path matched the applied state (same bytes, a
 * touch, a create and delete inside one window), so nothing ran and no version was used.
 */
export type TransactionStatus = 'applied' | 'rejected' | 'rolled-back' | 'dry-run' | 'unchanged'

/** One entry of the audit trail kept by `history()`. */
export interface TransactionRecord {
  readonly id: number
  /** The committed version after this transaction (unchanged unless `applied`). */
  readonly version: number
  readonly reason: TransactionReason
  readonly status: TransactionStatus
  readonly startedAt: string
  readonly durationMs: number
  readonly changes: readonly ChangeSummary[]
  readonly plugins: readonly string[]
  readonly problems: readonly Problem[]
  readonly error?: ErrorInfo
}

/** A change reduced to what events and history carry. */
export interface ChangeSummary {
  readonly kind: ChangeKind
  readonly path: string
  readonly from?: string
}

/** An error reduced to plain, serialisable data. */
export interface ErrorInfo {
  readonly code: string
  readonly message: string
  readonly plugin?: string
  readonly path?: string
  readonly hint?: string
}

/**
 * A plugin: a name and an `apply(kernel)` that taps the kernel's hooks, the shape webpack uses.
 * `apply` runs once, inside `createHotReload`, before the watcher starts.
 */
export interface Plugin {
  readonly name: string
  apply(kernel: Kernel): void | Promise<void>
  /** Subcommands this plugin adds to the `hotreload` CLI, e.g. `backup` for `hotreload backup list`. */
  readonly commands?: Readonly<Record<string, PluginCommand>>
  /**
   * Called by the CLI before it prints an event (as text or `--json`): return a copy with
   * secret values masked. In-process listeners always get the real event.
   */
  redactEvent?(event: HotReloadEvent): HotReloadEvent
}

/** A CLI subcommand contributed by a plugin. Resolves to the process exit code. */
export interface PluginCommand {
  readonly description: string
  readonly usage?: string
  run(args: readonly string[], context: CommandContext): Promise<number>
}

/** What a plugin command gets: the started instance and where to print. */
export interface CommandContext {
  readonly reloader: HotReload
  readonly json: boolean
  print(line: string): void
  printError(line: string): void
}

/** Log sink; the CLI prints these, library users may pass their own. */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

/**
 * The kernel as plugins see it: the hooks, the resolved options, and the few services a plugin
 * needs from the core. Only available inside `Plugin.apply` and the hooks it taps.
 */
export interface Kernel {
  readonly hooks: KernelHooks
  /** Absolute root directory; every path in changes and events is relative to it. */
  readonly root: string
  readonly options: ResolvedOptions
  readonly log: Logger
  /** Adds picomatch globs (relative to root) to the watched set. Returns its removal. */
  include(globs: string | readonly string[]): () => void
  /**
   * Excludes paths from detection: globs relative to the root or absolute paths (a directory
   * excludes everything below it). Use it for everything the plugin writes.
   */
  exclude(globsOrPaths: string | readonly string[]): () => void
  /** Runs a transaction now for `paths` (all watched files when omitted). */
  reload(options?: ReloadOptions): Promise<TransactionRecord>
  /** Emits a plugin event immediately, outside any transaction (prefer `tx.emit`). */
  emit(event: PluginEvent): void
  /** The version of the last committed transaction (0 before anything was applied). */
  version(): number
  /** Resolves once the instance is closing; plugins release their resources here. */
  onClose(fn: () => void | Promise<void>): () => void
}

/** Options for `reload()`. */
export interface ReloadOptions {
  /** Root-relative paths to reconsider; all watched files when omitted. */
  readonly paths?: readonly string[]
  /** Treat the paths as modified even when their bytes did not change. */
  readonly force?: boolean
  /** Run detect and validate only, report what would change, apply nothing. */
  readonly dryRun?: boolean
}

/** The options accepted by `createHotReload` and `defineConfig`. */
export interface HotReloadOptions {
  /** Project root; relative paths resolve against it. Default: the current directory. */
  root?: string
  /** Globs of watched files. Default: config, templates and static files (see DEFAULT_INCLUDE). */
  include?: string[]
  /** Globs never watched, added to the defaults unless `replaceDefaultIgnore` is set. */
  ignore?: string[]
  replaceDefaultIgnore?: boolean
  /** Quiet period before a batch runs. Default 50. */
  debounceMs?: number
  /** A file written continuously still reloads at least this often. Default 1000. */
  maxWaitMs?: number
  /** Time limit for each stage of a transaction. Default 10000. */
  stageTimeoutMs?: number
  /** Transactions kept by `history()`. Default 100. */
  historyLimit?: number
  /** Every transaction stops after validate and applies nothing. Default false. */
  dryRun?: boolean
  /** Use stat polling instead of native events (network drives, containers). Default false. */
  usePolling?: boolean
  /** Start without a watcher: only `reload()` runs transactions (`hotreload check`). */
  watch?: boolean
  plugins?: Plugin[]
  logger?: Logger
}

/** Options after defaults are applied. */
export interface ResolvedOptions {
  readonly root: string
  readonly include: readonly string[]
  readonly ignore: readonly string[]
  readonly debounceMs: number
  readonly maxWaitMs: number
  readonly stageTimeoutMs: number
  readonly historyLimit: number
  readonly dryRun: boolean
  readonly usePolling: boolean
  readonly watch: boolean
}

// ---------------------------------------------------------------------------------------------
// Events

/** Fields every event carries. */
export interface EventBase {
  /** The committed version after this event. */
  readonly version: number
  /** Root-relative paths the event is about. */
  readonly paths: readonly string[]
  /** ISO time the event was created. */
  readonly time: string
}

export interface ReadyEvent extends EventBase {
  readonly type: 'ready'
  /** Number of files being watched. */
  readonly files: number
  readonly durationMs: number
}
export interface AppliedEvent extends EventBase {
  readonly type: 'applied'
  readonly id: number
  readonly reason: TransactionReason
  readonly changes: readonly ChangeSummary[]
  readonly plugins: readonly string[]
  readonly durationMs: number
}
export interface RejectedEvent extends EventBase {
  readonly type: 'rejected'
  readonly id: number
  readonly reason: TransactionReason
  readonly changes: readonly ChangeSummary[]
  readonly problems: readonly Problem[]
  readonly durationMs: number
}
export interface RolledBackEvent extends EventBase {
  readonly type: 'rolled-back'
  readonly id: number
  readonly reason: TransactionReason
  readonly changes: readonly ChangeSummary[]
  readonly error: ErrorInfo
  readonly durationMs: number
}
export interface DryRunEvent extends EventBase {
  readonly type: 'dry-run'
  readonly id: number
  readonly reason: TransactionReason
  readonly changes: readonly ChangeSummary[]
  readonly problems: readonly Problem[]
  readonly plugins: readonly string[]
  readonly durationMs: number
}
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
  'dry-run': DryRunEvent
  error: ErrorEvent
}

/** Extended by plugins through declaration merging; each value must have `type` equal to its key. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PluginEventMap {}

/** Every event type, the core's and the plugins' (added to `PluginEventMap` by declaration merging), by name. */
export type EventMap = CoreEventMap & PluginEventMap
/** Any event before the kernel stamps `version` and `time` on it. */
export type EventInput = { [K in EventType]: Omit<EventMap[K], 'version' | 'time'> }[EventType]
/** The name of any event: `ready`, `applied`, ..., and the plugins' (`config:changed`, ...). */
export type EventType = keyof EventMap
/** Any event an instance emits: the union `on('*')`, `onEvent` and `--json` deliver. */
export type HotReloadEvent = EventMap[EventType]

/**
 * A plugin event as a plugin emits it; the kernel stamps `version` and `time` on delivery.
 * Only types declared in `PluginEventMap` can be emitted.
 */
export type PluginEvent = {
  [K in keyof PluginEventMap]: Omit<PluginEventMap[K], 'version' | 'time'>
}[keyof PluginEventMap]

// ---------------------------------------------------------------------------------------------
// The instance

/** Counters since start. */
export interface Counters {
  /** Raw watcher events received. */
  rawEvents: number
  /** Debounced batches flushed. */
  batches: number
  /** Paths whose event turned out to be a no-op (same bytes, touch, create+delete). */
  suppressed: number
  transactions: number
  applied: number
  rejected: number
  rolledBack: number
}

/** A snapshot of the instance's state. */
export interface Status {
  readonly version: number
  readonly root: string
  readonly watching: boolean
  /** Number of files currently known and watched. */
  readonly files: number
  /** A transaction is running right now. */
  readonly busy: boolean
  /** Paths waiting for the next transaction (debouncing, or left dirty by a rejected batch). */
  readonly pending: readonly string[]
  readonly last?: TransactionRecord
  readonly counters: Readonly<Counters>
  readonly plugins: readonly string[]
  readonly closed: boolean
}

/** A running hotreload instance, returned by `createHotReload`. */
export interface HotReload extends AsyncIterable<HotReloadEvent> {
  readonly root: string
  /**
   * Subscribes to one event type, or `'*'` for all. Returns the unsubscribe function.
   * Listeners run after the state they describe is committed; a throwing listener is
   * reported as an `error` event and never affects the transaction.
   */
  on<K extends EventType>(type: K, listener: (event: EventMap[K]) => void): () => void
  on(type: '*', listener: (event: HotReloadEvent) => void): () => void
  /** Like `on`, removed after the first call. */
  once<K extends EventType>(type: K, listener: (event: EventMap[K]) => void): () => void
  /** Async iterator of events from now on; ends when the instance closes or the loop breaks. */
  events(): AsyncIterableIterator<HotReloadEvent>
  /**
   * Runs a transaction now, for `paths` (all watched files when omitted). Resolves with its
   * record once it is committed, rejected, rolled back, or dry-run.
   */
  reload(options?: ReloadOptions): Promise<TransactionRecord>
  status(): Status
  /** The audit trail, oldest first, bounded by `historyLimit`. */
  history(): readonly TransactionRecord[]
  /** Stops the watcher, waits for a running transaction, releases every handle. Idempotent. */
  close(): Promise<void>
}
