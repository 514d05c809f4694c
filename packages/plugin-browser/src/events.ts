// What reaches the browser: kernel records and events turned into wire messages. Values pass
// through the config plugin's redaction; paths are root-relative; an absolute path inside a
// message (a parser quoting the file it read) is cut back to the root-relative one.
import type { ErrorInfo, HotReloadEvent, Plugin, Problem, TransactionRecord } from '@hotreload/core'
// The plugins' event types (declaration merging into PluginEventMap) and the config redaction.
import type {} from '@hotreload/plugin-assets'
import type * as ConfigModule from '@hotreload/plugin-config'
import type {} from '@hotreload/plugin-templates'
import type { ErrorView, EventView, ProblemView, ResultView } from './types.js'

/** The parts of `@hotreload/plugin-config` the redaction uses (loaded when installed). */
export type ConfigRedaction = Pick<typeof ConfigModule, 'redact' | 'redactDiff'>

/** Masks events before they leave the process, the way the CLI does before it prints them. */
export type Redactor = (event: HotReloadEvent) => HotReloadEvent

/**
 * Applies every listed plugin's `redactEvent` in order (as `cli-output.ts` does). A
 * `config:changed` event of a config plugin not in the list is masked with the config plugin's
 * default rule; without `@hotreload/plugin-config` installed its values are not sent at all.
 */
export function createRedactor(redactWith: readonly Plugin[], config: ConfigRedaction | undefined): Redactor {
  const owners = new Set(redactWith.map((p) => p.name))
  return (event) => {
    const masked = redactWith.reduce((e, p) => (p.redactEvent ? p.redactEvent(e) : e), event)
    if (masked.type !== 'config:changed' || owners.has(masked.plugin)) return masked
    if (!config) return { ...masked, oldValue: REDACTED, newValue: REDACTED, diff: [] }
    return { ...masked, oldValue: config.redact(masked.oldValue), newValue: config.redact(masked.newValue), diff: config.redactDiff(masked.diff) }
  }
}

const REDACTED = '[redacted]'

/** Cuts absolute paths below `root` out of free text, leaving the root-relative path. */
export function createPathScrubber(root: string): (text: string) => string {
  const withSlash = root.endsWith('/') ? root : `${root}/`
  return (text) => text.split(withSlash).join('').split(root).join('.')
}

export function toProblemView(problem: Problem, scrub: (text: string) => string): ProblemView {
  return {
    plugin: problem.plugin,
    code: problem.code,
    ...(problem.path !== undefined ? { file: problem.path } : {}),
    ...(problem.line !== undefined ? { line: problem.line } : {}),
    ...(problem.column !== undefined ? { column: problem.column } : {}),
    ...(problem.keyPath !== undefined ? { keyPath: problem.keyPath } : {}),
    message: scrub(problem.message),
    ...(problem.hint !== undefined ? { hint: scrub(problem.hint) } : {}),
  }
}

export function toErrorView(error: Pick<ErrorInfo, 'code' | 'message'> & Partial<ErrorInfo>, scrub: (text: string) => string): ErrorView {
  return {
    code: error.code,
    message: scrub(error.message),
    ...(error.plugin !== undefined ? { plugin: error.plugin } : {}),
    ...(error.path !== undefined ? { file: error.path } : {}),
    ...(error.hint !== undefined ? { hint: scrub(error.hint) } : {}),
  }
}

/** A transaction record as the browser and the status endpoint see it. */
export function toResultView(record: TransactionRecord, scrub: (text: string) => string): ResultView {
  const abort = (record as { abort?: ErrorInfo }).abort
  return {
    id: record.id,
    status: record.status,
    reason: record.reason,
    version: record.version,
    durationMs: Math.round(record.durationMs * 10) / 10,
    changes: record.changes.map((c) => ({ kind: c.kind, path: c.path, ...(c.from !== undefined ? { from: c.from } : {}) })),
    problems: record.problems.map((p) => toProblemView(p, scrub)),
    ...(record.error ? { error: toErrorView(record.error, scrub) } : {}),
    ...(abort ? { abort: toErrorView(abort, scrub) } : {}),
  }
}

/** A committed plugin event, already redacted, reduced to what a page acts on. */
export function toEventView(event: HotReloadEvent): EventView {
  switch (event.type) {
    case 'config:changed':
      return { type: event.type, plugin: event.plugin, name: event.name, value: event.newValue, oldValue: event.oldValue, diff: event.diff }
    case 'asset:updated':
      return {
        type: event.type,
        plugin: event.plugin,
        kind: event.kind,
        logicalPath: event.logicalPath,
        ...(event.url !== undefined ? { url: event.url } : {}),
        ...(event.oldUrl !== undefined ? { oldUrl: event.oldUrl } : {}),
        ...(event.from !== undefined ? { from: event.from } : {}),
      }
    case 'template:updated':
      return { type: event.type, plugin: event.plugin, names: event.names, removed: event.removed }
    default:
      // Other plugins' events may hold anything: the page learns only that one happened.
      return { type: event.type }
  }
}
