import { stat } from 'node:fs/promises'
import { OptionsError } from '../errors.js'
import { isMissing } from '../list-files.js'
import type { FileWatcher, WatcherBackend, WatcherOptions } from './backend.js'
import { isOutside, toWatcherError } from './errors.js'
import { createOutlet, errorMessage } from './outlet.js'
import { RECREATED_DIRECTORY_RELIST_MS } from './relist.js'

/** The optional package this backend runs on. */
export const PARCEL_PACKAGE = '@parcel/watcher'

type ParcelEvent = { readonly path: string; readonly type: 'create' | 'update' | 'delete' }
interface ParcelWatcher {
  subscribe(dir: string, fn: (error: Error | null, events: ParcelEvent[]) => unknown, options?: { ignore?: string[] }): Promise<{ unsubscribe(): Promise<void> }>
}

const loaded = new Map<string, Promise<ParcelWatcher>>()

/**
 * Loads `@parcel/watcher` (or `specifier`, for tests) once, on first use: it is an optional
 * dependency with a native binary per platform, so an instance that never selects this backend
 * never loads it. Rejects with an `OptionsError` naming the package and the fallback.
 */
export function loadParcel(specifier: string = PARCEL_PACKAGE): Promise<ParcelWatcher> {
  let loading = loaded.get(specifier)
  if (!loading) {
    loading = import(specifier).then(
      (module: { default?: ParcelWatcher } & Partial<ParcelWatcher>) => {
        const api = typeof module.subscribe === 'function' ? (module as ParcelWatcher) : module.default
        if (typeof api?.subscribe !== 'function') throw new Error(`${specifier} has no subscribe() function`)
        return api
      },
      (error: unknown) => {
        throw new OptionsError(`watcher "parcel" needs the optional package ${PARCEL_PACKAGE}, which could not be loaded: ${errorMessage(error)}`, {
          cause: error,
          hint:
            `Install it with \`npm install ${PARCEL_PACKAGE}\` (its native binary must match this platform, ${process.platform}-${process.arch}; ` +
            "installs with --omit=optional leave it out), or use the default backend: `watcher: 'chokidar'` (drop `--watcher parcel`).",
        })
      },
    )
    // A failed load is not cached: installing the package fixes the next attempt.
    loading.catch(() => loaded.delete(specifier))
    loaded.set(specifier, loading)
  }
  return loading
}

/**
 * `@parcel/watcher` (the watcher of VS Code and Parcel): one native recursive subscription for
 * the whole root, events delivered in batches. It has no polling mode.
 */
export const parcelBackend: WatcherBackend = Object.freeze({
  name: 'parcel',
  async load(options: Pick<WatcherOptions, 'usePolling'> = {}) {
    refusePolling(options.usePolling)
    await loadParcel()
  },
  start: (options: WatcherOptions) => startParcel(options),
  // Its crawl of the tree runs in parcel's own thread: started with the load, it is over by the
  // time the load is (10,000 files: ready 218-262 ms after the listing, 166-227 ms with it).
  startsWithLoad: true,
})

/** Starts a `@parcel/watcher` subscription on `options.root` (see `startParcelWith`). */
export async function startParcel(options: WatcherOptions, specifier: string = PARCEL_PACKAGE): Promise<FileWatcher> {
  refusePolling(options.usePolling)
  return startParcelWith(await loadParcel(specifier), options)
}

function refusePolling(usePolling: boolean | undefined): void {
  if (!usePolling) return
  throw new OptionsError('watcher "parcel" has no polling mode (usePolling / --poll)', {
    hint: "Drop usePolling, or use `watcher: 'chokidar'` with `usePolling: true` for network drives and containers.",
  })
}

async function startParcelWith(parcel: ParcelWatcher, options: WatcherOptions): Promise<FileWatcher> {
  const { root, matcher } = options
  let closed = false
  let closing: Promise<void> | undefined
  const { relOf, report, deliver, badNames, relister } = createOutlet(options, () => closed)

  // parcel adds a watch for a new directory after it has read it, like chokidar: files written
  // in between are found by listing it again.

  // parcel's events do not say whether the path is a directory.
  const isDirectory = async (absolute: string): Promise<boolean> => {
    try {
      return (await stat(absolute)).isDirectory()
    } catch (error) {
      if (isMissing(error)) return false
      throw error
    }
  }

  const onCreate = async (absolute: string, rel: string): Promise<void> => {
    if (matcher.isWatched(rel)) deliver('add', rel)
    if (!matcher.couldContain(rel)) return
    if (!(await isDirectory(absolute)) || closed) return
    deliver('addDir', rel)
    relister.later(rel)
  }

  // parcel reports a path deleted and created again within one batch as an update
  // (parcel-bundler/watcher#72), and watches a new directory without reading it: a directory
  // re-created that fast is taken as one, everything applied below it reconsidered and its
  // files listed (an update of a directory's own attributes costs the same listing).
  const onUpdatedDirectory = async (absolute: string, rel: string): Promise<void> => {
    if (!(await isDirectory(absolute)) || closed) return
    deliver('unlinkDir', rel)
    deliver('addDir', rel)
    relister.later(rel, RECREATED_DIRECTORY_RELIST_MS)
  }

  const onEvents = (error: Error | null, events: ParcelEvent[]): void => {
    if (closed) return
    if (error) report(toWatcherError(withErrno(error), root))
    for (const { path, type } of events) {
      const rel = relOf(path)
      if (rel === '' || isOutside(rel)) continue
      badNames.check(rel)
      if (type === 'update') {
        if (matcher.isWatched(rel)) deliver('change', rel)
        // A glob like `templates/**/*` watches a directory's path too: the stat tells them apart.
        if (matcher.couldContain(rel)) {
          onUpdatedDirectory(path, rel).catch((thrown: unknown) => {
            if (!closed) report(toWatcherError(thrown, root))
          })
        }
      } else if (type === 'delete') {
        // A deleted path may have been a file or a directory: both are reconciled from the bytes.
        if (matcher.isWatched(rel)) deliver('unlink', rel)
        if (matcher.couldContain(rel)) {
          relister.forget(rel)
          deliver('unlinkDir', rel)
        }
      } else {
        onCreate(path, rel).catch((thrown: unknown) => {
          if (!closed) report(toWatcherError(thrown, root))
        })
      }
    }
  }

  let subscription: { unsubscribe(): Promise<void> }
  try {
    subscription = await parcel.subscribe(root, onEvents)
  } catch (error) {
    throw toWatcherError(withErrno(error), root)
  }

  return {
    close() {
      closed = true
      relister.forget('')
      // parcel-bundler/watcher#129: unsubscribing now and then rejects with "Unable to remove
      // watcher: Invalid argument" (EINVAL from inotify_rm_watch) for a directory deleted while
      // watched, whose watch the kernel had already dropped. Nothing is left watching then, and
      // close() must not fail for it.
      closing ??= subscription.unsubscribe().catch((error: unknown) => {
        if (!isStaleWatchRemoval(error)) throw error
      })
      return closing
    },
    // One recursive subscription covers the whole root: a directory a later include() allowed
    // is already watched.
    refresh() {},
  }
}

/** parcel's error for removing an inotify watch the kernel had already removed (see close()). */
function isStaleWatchRemoval(error: unknown): boolean {
  return error instanceof Error && /unable to remove watcher: invalid argument/i.test(error.message)
}

// parcel's native errors carry only a message (`inotify_add_watch on '/x' failed: No space left
// on device`): give them the errno code and path that toWatcherError turns into a hint.
const ERRNO_MESSAGES: readonly [RegExp, string][] = [
  [/no space left on device/i, 'ENOSPC'],
  [/permission denied/i, 'EACCES'],
  [/operation not permitted/i, 'EPERM'],
  [/too many open files in system/i, 'ENFILE'],
  [/too many open files/i, 'EMFILE'],
  [/no such file or directory/i, 'ENOENT'],
]

function withErrno(error: unknown): unknown {
  if (!(error instanceof Error) || typeof (error as NodeJS.ErrnoException).code === 'string') return error
  const code = ERRNO_MESSAGES.find(([pattern]) => pattern.test(error.message))?.[1]
  if (code === undefined) return error
  const path = /'([^']+)'/.exec(error.message)?.[1]
  return Object.assign(new Error(error.message, { cause: error }), { code, ...(path === undefined ? {} : { path }) })
}

