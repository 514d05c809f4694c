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
  // The watchers hand over normalized absolute paths below the root: on POSIX the relative path
  // is the rest of the string, without path.relative's two resolve() calls per event. Anything
  // else (a segment starting with a dot, a doubled separator, another platform) takes the long way.
  const prefix = root.endsWith(sep) ? root : `${root}${sep}`
  const relOf = (absolute: string): string => {
    if (sep === '/' && absolute.startsWith(prefix)) {
      const rest = absolute.slice(prefix.length)
      if (rest !== '' && rest[0] !== '.' && !rest.endsWith('/') && !rest.includes('/.') && !rest.includes('//')) return rest
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

export function errorMessage(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown)
}
