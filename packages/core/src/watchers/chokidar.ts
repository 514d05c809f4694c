import { basename, isAbsolute, join, sep } from 'node:path'
import type { Stats } from 'node:fs'
import { stat } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { watch, type FSWatcher } from 'chokidar'
import { isMissing } from '../list-files.js'
import type { FileWatcher, RawEventKind, WatcherBackend, WatcherOptions } from './backend.js'
import { DirectoryInodes } from './directory-inodes.js'
import { isOutside, toWatcherError } from './errors.js'
import { NativeWrites } from './native-writes.js'
import { createOutlet } from './outlet.js'
import { RECREATED_DIRECTORY_RELIST_MS } from './relist.js'

const RAW_EVENT_KINDS: ReadonlySet<string> = new Set<RawEventKind>(['add', 'change', 'unlink', 'addDir', 'unlinkDir'])

// chokidar drops a file's fs events for 5 ms after one it handled and its `change` events for
// 50 ms after one it emitted, with no trailing event. A write inside that window (the second half
// of a truncate-then-write, the last write of a stream) is reported by nobody. With native
// events every write is taken from its own event (native-writes.ts); a poller has no such event,
// so, this long after each add/change it reports, the file is stat'ed again and reported once
// more if it moved (and a poll that chokidar's test passes over gets it too: see `mayBeUnreported`).
const TRAILING_CHECK_MS = 60

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
  const { relOf, report, deliver, badNames, relister } = createOutlet(options, () => closed)



  const ignored = (absolute: string, stats?: Stats): boolean => {
    const rel = relOf(absolute)
    if (rel === '') return false
    if (isOutside(rel)) return true
    if (stats === undefined) {
      // chokidar asks once before it has stats: keep anything that may be a watched file or a
      // directory on the way to one. A watched file is not excluded: its (cached) answer is
      // enough, without asking the exclude globs about it a second time.
      if (matcher.isWatched(rel)) return false
      return matcher.isExcluded(rel) || !matcher.couldContain(rel)
    }
    return stats.isDirectory() ? !matcher.couldContain(rel) : !matcher.isWatched(rel)
  }

  const watchTree = (absolute: string): FSWatcher =>
    watch(absolute, {
      ignored,
      ignoreInitial: true,
      // Editors' atomic saves (unlink then add) become one `change`; reconciliation compares bytes anyway.
      atomic: options.atomicMs === 0 ? false : (options.atomicMs ?? 25),
      usePolling: options.usePolling ?? false,
      interval: options.pollIntervalMs ?? 100,
      binaryInterval: options.pollIntervalMs ?? 100,
      persistent: true,
    })

  // A directory chokidar lost track of (deleted and re-created: see directory-inodes.ts) gets a
  // watcher of its own, which replaces any below it. The other watchers let go of the old
  // directory first: chokidar shares one fs.watch per path across all its instances, so a new
  // watcher of the same path would join the old one, whose inode is gone, and hear nothing.
  const overlays = new Map<string, FSWatcher>()
  const letGo = (dirRel: string): void => {
    const absolute = join(root, dirRel)
    const below = (path: string): boolean => path === absolute || path.startsWith(`${absolute}${sep}`)
    for (const fsw of [chokidar, ...overlays.values()]) {
      const stale: string[] = []
      for (const [dir, children] of Object.entries(fsw.getWatched())) {
        if (below(dir)) stale.push(dir)
        for (const child of children) if (below(join(dir, child))) stale.push(join(dir, child))
      }
      if (stale.length > 0) fsw.unwatch(stale)
    }
  }
  const closeOverlays = (dirRel: string): Promise<unknown> => {
    const closing: Promise<void>[] = []
    for (const [dir, fsw] of overlays) {
      // '' is the root: every overlay is below it (no overlay is named '' or starts with '/').
      if (dirRel !== '' && dir !== dirRel && !dir.startsWith(`${dirRel}/`)) continue
      overlays.delete(dir)
      closing.push(closeChokidar(fsw))
    }
    return Promise.all(closing)
  }
  const rewatch = async (dirRel: string): Promise<void> => {
    await closeOverlays(dirRel)
    if (closed) return
    letGo(dirRel)
    await inodes.recordTree(dirRel)
    if (closed) return
    const fsw = watchTree(join(root, dirRel))
    overlays.set(dirRel, fsw)
    attach(fsw)
    // Closed before it is ready, chokidar drops its listeners: this never settles, and is collected.
    await new Promise<void>((resolve) => fsw.once('ready', resolve))
    // Replaced again while the new watcher started: the check sees the inode move.
    if (!closed && overlays.get(dirRel) === fsw) inodes.checkTree(dirRel)
  }
  const inodes = new DirectoryInodes(root, (rel) => matcher.couldContain(rel), {
    gone(rel) {
      relister.forget(rel)
      closeOverlays(rel).catch((error: unknown) => report(toWatcherError(error, root)))
      if (matcher.couldContain(rel)) deliver('unlinkDir', rel)
    },
    recreated(rel) {
      if (!matcher.couldContain(rel)) return
      // Every applied file below it is reconsidered, and every file there now is reported, now
      // and again once the new watcher has certainly started (files written meanwhile).
      deliver('unlinkDir', rel)
      relister.later(rel, RECREATED_DIRECTORY_RELIST_MS)
      rewatch(rel).catch((error: unknown) => {
        if (!closed) report(toWatcherError(error, root))
      })
    },
    error(error) {
      if (!closed) report(toWatcherError(error, root))
    },
  })


  // The trailing checks wait on one timer between them: every save made and cleared a timer of
  // its own on the way to its transaction (issue 11). All wait the same time, so a map kept in
  // the order they were asked for (a path asked again moves to the end) is in the order they are due.
  const trailing = new Map<string, { readonly absolute: string; readonly seen: Stats | undefined; readonly due: number }>()
  let trailingTimer: NodeJS.Timeout | undefined
  const armTrailing = (ms: number): void => {
    trailingTimer = setTimeout(runTrailing, ms)
    trailingTimer.unref()
  }
  const runTrailing = (): void => {
    trailingTimer = undefined
    const now = performance.now()
    for (const [rel, { absolute, seen, due }] of trailing) {
      if (due > now) {
        armTrailing(Math.ceil(due - now))
        return
      }
      trailing.delete(rel)
      stat(absolute).then(
        (found) => {
          if (closed || !matcher.isWatched(rel)) return
          if (!seen || found.mtimeMs !== seen.mtimeMs || found.size !== seen.size || found.ino !== seen.ino) deliver('change', rel)
        },
        // Gone since: chokidar reports the unlink itself.
        (error: unknown) => {
          if (!closed && !isMissing(error)) report(toWatcherError(error, root))
        },
      )
    }
  }
  const checkLater = (absolute: string, rel: string, seen: Stats | undefined): void => {
    trailing.delete(rel)
    trailing.set(rel, { absolute, seen, due: performance.now() + TRAILING_CHECK_MS })
    if (trailingTimer === undefined) armTrailing(TRAILING_CHECK_MS)
  }

  // A change is taken from its native event, ahead of chokidar's stat'ed one (native-writes.ts).
  const writes = new NativeWrites()

  const attach = (fsw: FSWatcher): void => {
  fsw.on('all', (event, absolute, stats) => {
    if (closed || !RAW_EVENT_KINDS.has(event)) return
    const kind = event as RawEventKind
    const rel = relOf(absolute)
    if (rel === '' || isOutside(rel)) return
    badNames.check(rel)
    const isDir = kind === 'addDir' || kind === 'unlinkDir'
    // The matcher may have changed since chokidar decided to watch this path.
    if (isDir ? !matcher.couldContain(rel) : !matcher.isWatched(rel)) return
    if (isDir) writes.forgetUnder(rel)
    else if (!polling && writes.covered(rel)) return
    deliver(kind, rel)
    if (polling && (kind === 'add' || kind === 'change')) checkLater(absolute, rel, stats)
    if (kind === 'unlink') trailing.delete(rel)
    if (kind === 'addDir') {
      relister.later(rel)
      void inodes.seen(rel, stats)
    }
    if (kind === 'unlinkDir') relister.forget(rel)
  })
  // Native events of watched files are delivered from here (native-writes.ts). That also covers
  // what chokidar's mtime test misses: a file renamed over another with the same mtime (two
  // files written in one clock tick, then `mv a b`) is reported by chokidar only as the unlink
  // of `a`, but the native rename names `b`. A poller gets the trailing check for that case.
  fsw.on('raw', (event, path, details) => {
    if (closed) return
    const watched = (details as { watchedPath?: unknown } | undefined)?.watchedPath
    // A native watcher on a directory names the entry; one on a file, or a poller, the file itself.
    const onFile = typeof watched === 'string' && basename(watched) === path
    const absolute = isAbsolute(path) ? path : typeof watched === 'string' ? (onFile ? watched : join(watched, path)) : undefined
    if (absolute === undefined) return
    const rel = relOf(absolute)
    if (rel === '' || isOutside(rel)) return
    if (!polling) {
      // An event naming a directory may be its deletion or its re-creation, which chokidar misses.
      // Polling stats each path anew and sees a new directory by itself.
      inodes.check(rel)
      if ((event === 'change' || event === 'rename') && matcher.isWatched(rel)) {
        // The directory's watch and the file's both report a write: one of the two is enough.
        if (event === 'change' && writes.partner(rel, onFile)) return
        writes.delivered(rel)
        badNames.check(rel)
        deliver('change', rel)
      }
      return
    }
    if (mayBeUnreported(event, details) && matcher.isWatched(rel) && !trailing.has(rel)) checkLater(absolute, rel, undefined)
  })
  fsw.on('error', (error) => {
    if (!closed) report(toWatcherError(error, root))
  })
  }
  const polling = options.usePolling ?? false
  if (!polling) await inodes.recordTree('')
  // Started once the directories' inodes are recorded (the closures above run only after this).
  const chokidar = watchTree(root)
  attach(chokidar)

  await new Promise<void>((resolve) => chokidar.once('ready', resolve))
  if (!polling) inodes.checkTree('')

  return {
    close() {
      closed = true
      clearTimeout(trailingTimer)
      trailingTimer = undefined
      trailing.clear()
      writes.clear()
      relister.forget('')
      inodes.close()
      closing ??= Promise.all([closeChokidar(chokidar), closeOverlays('')]).then(() => undefined)
      return closing
    },
    refresh(dirRel = '') {
      if (!closed) chokidar.add(join(root, dirRel))
    },
  }
}

/**
 * Closes a chokidar instance so that no fs.watch handle of a scan in flight survives. chokidar 5
 * creates a directory's fs.watch, returns its closer from an async function, and registers it
 * only after re-checking `closed`: a close() that lands in that await gap sweeps closers that do
 * not have it yet, and the handle stays open for good, keeping the process alive
 * (paulmillr/chokidar#1482). The gap is a chain of microtasks. At the start of a macrotask the
 * microtask queue is empty, so no add is inside the gap: close() runs there (setImmediate).
 */
function closeChokidar(fsw: FSWatcher): Promise<void> {
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      fsw.close().then(resolve, reject)
    })
  })
}

/**
 * Whether a poll may be a change chokidar keeps quiet about: the file's inode or ctime moved
 * but chokidar's own test (size changed or mtime grew) did not fire, as when an older file of
 * the same size is moved in.
 */
function mayBeUnreported(event: string, details: unknown): boolean {
  const polled = details as { curr?: Stats; prev?: Stats } | undefined
  const { curr, prev } = polled ?? {}
  if (event !== 'change' || !curr || !prev || curr.mtimeMs === 0) return false
  const chokidarReports = curr.size !== prev.size || curr.mtimeMs > prev.mtimeMs
  return !chokidarReports && (curr.ino !== prev.ino || curr.ctimeMs !== prev.ctimeMs)
}


