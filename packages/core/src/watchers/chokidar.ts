import { basename, isAbsolute, join, relative, sep } from 'node:path'
import type { Stats } from 'node:fs'
import { stat } from 'node:fs/promises'
import { watch, type FSWatcher } from 'chokidar'
import { WatcherError } from '../errors.js'
import { isMissing, listWatchedFiles } from '../list-files.js'
import type { FileWatcher, RawEventKind, WatcherBackend, WatcherOptions } from './backend.js'
import { isOutside, toWatcherError } from './errors.js'

const RAW_EVENT_KINDS: ReadonlySet<string> = new Set<RawEventKind>(['add', 'change', 'unlink', 'addDir', 'unlinkDir'])

// chokidar drops a file's fs events for 5 ms after one it handled and its `change` events for
// 50 ms after one it emitted, with no trailing event. A write inside that window (the second half
// of a truncate-then-write, the last write of a stream) is reported by nobody. So, this long
// after each add/change, the file is stat'ed again and reported once more if it moved.
const TRAILING_CHECK_MS = 60

// chokidar emits `addDir`, then lists the new directory, then starts watching it: a file created
// between the listing and the watch is never reported (mkdir followed by two quick writes loses
// the second). So a new directory is listed again once chokidar has had time to watch it, and
// the files it has not reported are reported as added. The later pass covers a loaded machine.
const NEW_DIRECTORY_RELIST_MS = [60, 300] as const

/**
 * The default backend: chokidar, native events or stat polling (`usePolling`). chokidar holds
 * one watch per file and directory; see the workarounds below for the events it drops.
 */
export const chokidarBackend: WatcherBackend = Object.freeze({ name: 'chokidar', start: startChokidar })

/**
 * Starts chokidar on `options.root`, pruning directories that cannot hold watched files and
 * reporting only watched files. Existing files are not reported (the kernel scans them itself).
 * Resolves once chokidar has read the tree and is ready to report changes.
 */
async function startChokidar(options: WatcherOptions): Promise<FileWatcher> {
  const { root, matcher } = options
  let closed = false
  let closing: Promise<void> | undefined

  const relOf = (absolute: string): string => relative(root, absolute).split(sep).join('/')

  const report = (error: WatcherError): void => {
    try {
      options.onError(error)
    } catch (thrown) {
      // The error listener itself failed: there is nobody left to tell but the process.
      process.emitWarning(`hotreload: the watcher's error handler threw: ${String(thrown)} (while reporting: ${error.message})`)
    }
  }

  const ignored = (absolute: string, stats?: Stats): boolean => {
    const rel = relOf(absolute)
    if (rel === '') return false
    if (isOutside(rel)) return true
    if (stats === undefined) {
      // chokidar asks once before it has stats: keep anything that may be a watched file or a
      // directory on the way to one.
      return matcher.isExcluded(rel) || (!matcher.isWatched(rel) && !matcher.couldContain(rel))
    }
    return stats.isDirectory() ? !matcher.couldContain(rel) : !matcher.isWatched(rel)
  }

  const chokidar: FSWatcher = watch(root, {
    ignored,
    ignoreInitial: true,
    // Editors' atomic saves (unlink then add) become one `change`; reconciliation compares bytes anyway.
    atomic: options.atomicMs === 0 ? false : (options.atomicMs ?? 25),
    usePolling: options.usePolling ?? false,
    interval: options.pollIntervalMs ?? 100,
    binaryInterval: options.pollIntervalMs ?? 100,
    persistent: true,
  })

  // New directories being re-listed, with the files reported below them since they appeared.
  const newDirectories = new Map<string, { seen: Set<string>; timers: NodeJS.Timeout[] }>()

  const deliver = (kind: RawEventKind, rel: string): void => {
    if (kind === 'add' || kind === 'change') {
      for (const [dir, entry] of newDirectories) if (rel.startsWith(`${dir}/`)) entry.seen.add(rel)
    }
    try {
      options.onEvent(kind, rel)
    } catch (thrown) {
      report(new WatcherError(`handling the watcher's "${kind}" event for ${rel} failed: ${errorMessage(thrown)}`, { cause: thrown, path: rel }))
    }
  }

  const forgetDirectory = (dirRel: string): void => {
    for (const [dir, entry] of newDirectories) {
      if (dirRel !== '' && dir !== dirRel && !dir.startsWith(`${dirRel}/`)) continue
      entry.timers.forEach(clearTimeout)
      newDirectories.delete(dir)
    }
  }

  const relistLater = (dirRel: string): void => {
    forgetDirectory(dirRel)
    const entry = { seen: new Set<string>(), timers: [] as NodeJS.Timeout[] }
    const relist = (last: boolean) => (): void => {
      if (last) newDirectories.delete(dirRel)
      listWatchedFiles(root, matcher, { dirRel }).then(
        (files) => {
          if (closed) return
          for (const rel of files) if (!entry.seen.has(rel)) deliver('add', rel)
        },
        (error: unknown) => {
          if (!closed) report(toWatcherError(error, root))
        },
      )
    }
    NEW_DIRECTORY_RELIST_MS.forEach((ms, i) => {
      const timer = setTimeout(relist(i === NEW_DIRECTORY_RELIST_MS.length - 1), ms)
      timer.unref()
      entry.timers.push(timer)
    })
    newDirectories.set(dirRel, entry)
  }

  const trailing = new Map<string, NodeJS.Timeout>()
  const checkLater = (absolute: string, rel: string, seen: Stats | undefined): void => {
    clearTimeout(trailing.get(rel))
    const timer = setTimeout(() => {
      trailing.delete(rel)
      stat(absolute).then(
        (now) => {
          if (closed || !matcher.isWatched(rel)) return
          if (!seen || now.mtimeMs !== seen.mtimeMs || now.size !== seen.size || now.ino !== seen.ino) deliver('change', rel)
        },
        // Gone since: chokidar reports the unlink itself.
        (error: unknown) => {
          if (!closed && !isMissing(error)) report(toWatcherError(error, root))
        },
      )
    }, TRAILING_CHECK_MS)
    timer.unref()
    trailing.set(rel, timer)
  }

  chokidar.on('all', (event, absolute, stats) => {
    if (closed || !RAW_EVENT_KINDS.has(event)) return
    const kind = event as RawEventKind
    const rel = relOf(absolute)
    if (rel === '' || isOutside(rel)) return
    const isDir = kind === 'addDir' || kind === 'unlinkDir'
    // The matcher may have changed since chokidar decided to watch this path.
    if (isDir ? !matcher.couldContain(rel) : !matcher.isWatched(rel)) return
    deliver(kind, rel)
    if (kind === 'add' || kind === 'change') checkLater(absolute, rel, stats)
    if (kind === 'unlink') {
      clearTimeout(trailing.get(rel))
      trailing.delete(rel)
    }
    if (kind === 'addDir') relistLater(rel)
    if (kind === 'unlinkDir') forgetDirectory(rel)
  })
  // chokidar decides whether a replaced file changed by its mtime: a file renamed over another
  // with the same mtime (two files written in one clock tick, then `mv a b`) is reported only as
  // the unlink of `a`. The native event for `b` still arrives: it gets the trailing check with
  // nothing seen, so `b` is reported unless chokidar reports it first (its own event replaces
  // the check with one against what it saw). Fingerprints drop the report if the bytes are equal.
  chokidar.on('raw', (event, path, details) => {
    if (closed || !mayBeUnreported(event, details)) return
    const watched = (details as { watchedPath?: unknown } | undefined)?.watchedPath
    // A native watcher on a directory names the entry; one on a file, or a poller, the file itself.
    const absolute = isAbsolute(path) ? path : typeof watched === 'string' ? (basename(watched) === path ? watched : join(watched, path)) : undefined
    if (absolute === undefined) return
    const rel = relOf(absolute)
    if (rel !== '' && !isOutside(rel) && matcher.isWatched(rel) && !trailing.has(rel)) checkLater(absolute, rel, undefined)
  })
  chokidar.on('error', (error) => {
    if (!closed) report(toWatcherError(error, root))
  })

  await new Promise<void>((resolve) => chokidar.once('ready', resolve))

  return {
    close() {
      closed = true
      for (const timer of trailing.values()) clearTimeout(timer)
      trailing.clear()
      forgetDirectory('')
      closing ??= chokidar.close()
      return closing
    },
    refresh(dirRel = '') {
      if (!closed) chokidar.add(join(root, dirRel))
    },
  }
}

/**
 * Whether a native event may be a change chokidar keeps quiet about: a native `rename` (an
 * entry replaced), or a poll in which the file's inode or ctime moved but chokidar's own test
 * (size changed or mtime grew) did not fire, as when an older file of the same size is moved in.
 */
function mayBeUnreported(event: string, details: unknown): boolean {
  if (event === 'rename') return true
  const polled = details as { curr?: Stats; prev?: Stats } | undefined
  const { curr, prev } = polled ?? {}
  if (event !== 'change' || !curr || !prev || curr.mtimeMs === 0) return false
  const chokidarReports = curr.size !== prev.size || curr.mtimeMs > prev.mtimeMs
  return !chokidarReports && (curr.ino !== prev.ino || curr.ctimeMs !== prev.ctimeMs)
}

function errorMessage(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown)
}

