import type { WatcherError } from '../errors.js'
import { listWatchedFiles } from '../list-files.js'
import type { PathMatcher } from '../path-matcher.js'
import { toWatcherError } from './errors.js'

/**
 * A native watcher starts watching a new directory some time after it appears: a file created in
 * between is reported by nobody (chokidar lists a new directory before it watches it; mkdir
 * followed by two quick writes loses the second). So a new directory is listed again on a
 * schedule, and the files it holds that were not reported since it appeared are reported as
 * added. The later passes cover a loaded machine. The last pass reports every file there: one
 * reported while it was still empty (created, not yet written) may have been written before the
 * watch existed, and nobody reports that write (parcel, 1 round in 20 under load); reconciling
 * compares the bytes, so a file already applied is a no-op.
 */
export const NEW_DIRECTORY_RELIST_MS: readonly number[] = [60, 300]

/**
 * A directory deleted and re-created (chokidar misses it; parcel reports it as an update) is
 * listed at once, since its files are new to the watcher, and again after its watch has
 * certainly started.
 */
export const RECREATED_DIRECTORY_RELIST_MS: readonly number[] = [0, 60, 300, 1000]

export interface Relister {
  /** Lists `dirRel` at each delay of `schedule` (ms after now) and reports what was not reported. */
  later(dirRel: string, schedule?: readonly number[]): void
  /** A file event was reported: a later listing does not report it again. */
  reported(rel: string): void
  /** Stops the listings of `dirRel` and below ('' = all). */
  forget(dirRel: string): void
}

export function createRelister(o: {
  root: string
  matcher: PathMatcher
  isClosed(): boolean
  add(rel: string): void
  report(error: WatcherError): void
  onInvalidName?(dirRel: string, raw: Buffer): void
}): Relister {
  // New directories being re-listed, with the files reported below them since they appeared.
  const pending = new Map<string, { seen: Set<string>; timers: NodeJS.Timeout[] }>()
  const forget = (dirRel: string): void => {
    for (const [dir, entry] of pending) {
      if (dirRel !== '' && dir !== dirRel && !dir.startsWith(`${dirRel}/`)) continue
      entry.timers.forEach(clearTimeout)
      pending.delete(dir)
    }
  }
  return {
    forget,
    reported(rel) {
      for (const [dir, entry] of pending) if (rel.startsWith(`${dir}/`)) entry.seen.add(rel)
    },
    later(dirRel, schedule = NEW_DIRECTORY_RELIST_MS) {
      forget(dirRel)
      const entry = { seen: new Set<string>(), timers: [] as NodeJS.Timeout[] }
      const relist = (last: boolean) => (): void => {
        if (last && pending.get(dirRel) === entry) pending.delete(dirRel)
        listWatchedFiles(o.root, o.matcher, { dirRel, onInvalidName: o.onInvalidName }).then(
          (files) => {
            if (o.isClosed()) return
            for (const rel of files) {
              if (!last && entry.seen.has(rel)) continue
              entry.seen.add(rel)
              o.add(rel)
            }
          },
          (error: unknown) => {
            if (!o.isClosed()) o.report(toWatcherError(error, o.root))
          },
        )
      }
      schedule.forEach((ms, i) => {
        const timer = setTimeout(relist(i === schedule.length - 1), ms)
        timer.unref()
        entry.timers.push(timer)
      })
      pending.set(dirRel, entry)
    },
  }
}
