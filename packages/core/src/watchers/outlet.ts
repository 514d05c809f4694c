import { relative, sep } from 'node:path'
import { WatcherError } from '../errors.js'
import type { RawEventKind, WatcherOptions } from './backend.js'
import { reportBadNames } from './bad-names.js'
import { createRelister, type Relister } from './relist.js'

/** What every backend hands its events and errors to: the same checks, in the same order. */
export interface WatcherOutlet {
  /** An absolute path as a root-relative one with `/` separators. */
  relOf(absolute: string): string
  /** Hands an error to the backend's `onError`; a throwing listener becomes a process warning. */
  report(error: WatcherError): void
  /** Hands one event on; a throwing listener becomes a reported error, never the watcher's. */
  deliver(kind: RawEventKind, rel: string): void
  /** Names that are not UTF-8 (bad-names.ts). */
  readonly badNames: ReturnType<typeof reportBadNames>
  /** New directories listed again (relist.ts); its added files go through `deliver`. */
  readonly relister: Relister
}

/**
 * Builds the outlet of one started backend. `isClosed` stops the relister's late listings
 * once the backend is closed.
 */
export function createOutlet(options: WatcherOptions, isClosed: () => boolean): WatcherOutlet {
  const { root, matcher } = options
  // Watchers hand over paths they built from the root, so the relative path is what follows
  // `root/`: a slice, where `relative()` resolved both paths again on every call (~5 µs, and
  // chokidar's `ignored` asks twice per file of a large tree). Anything else takes the long way.
  const rootPrefix = root.endsWith(sep) ? root : root + sep
  const relOf = (absolute: string): string => {
    if (absolute.startsWith(rootPrefix) && isNormal(absolute)) {
      const rel = absolute.slice(rootPrefix.length)
      return sep === '/' ? rel : rel.split(sep).join('/')
    }
    return relative(root, absolute).split(sep).join('/')
  }
  const report = (error: WatcherError): void => {
    try {
      options.onError(error)
    } catch (thrown) {
      // The error listener itself failed: there is nobody left to tell but the process.
      process.emitWarning(`hotreload: the watcher's error handler threw: ${String(thrown)} (while reporting: ${error.message})`)
    }
  }
  const deliver = (kind: RawEventKind, rel: string): void => {
    if (kind === 'add' || kind === 'change') relister.reported(rel)
    try {
      options.onEvent(kind, rel)
    } catch (thrown) {
      report(new WatcherError(`handling the watcher's "${kind}" event for ${rel} failed: ${errorMessage(thrown)}`, { cause: thrown, path: rel }))
    }
  }
  const badNames = reportBadNames(root, matcher, report)
  const relister = createRelister({ root, matcher, isClosed, add: (rel) => deliver('add', rel), report, onInvalidName: badNames.found })
  return { relOf, report, deliver, badNames, relister }
}

/** No `.` or `..` segment, no empty segment, no trailing separator: `relative()` would change nothing. */
function isNormal(absolute: string): boolean {
  if (absolute.endsWith(sep) || absolute.includes(sep + sep)) return false
  const dot = `${sep}.`
  for (let i = absolute.indexOf(dot); i !== -1; i = absolute.indexOf(dot, i + 1)) {
    const next = absolute[i + 2]
    if (next === undefined || next === sep || (next === '.' && (absolute[i + 3] === undefined || absolute[i + 3] === sep))) return false
  }
  return true
}

export function errorMessage(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown)
}
