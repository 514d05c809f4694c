import type { WatcherError } from '../errors.js'
import type { PathMatcher } from '../path-matcher.js'

/** The raw events a watcher backend reports, chokidar's names. */
export type RawEventKind = 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir'

/** What the kernel hands a backend when it starts watching. */
export interface WatcherOptions {
  /** Absolute root directory; events carry paths relative to it. */
  readonly root: string
  /** Consulted for every path, at start and for each event, so later include/exclude calls apply. */
  readonly matcher: PathMatcher
  /** Stat polling instead of native events (network drives, some containers). */
  readonly usePolling?: boolean
  /** Poll interval when `usePolling` is set. Default 100 ms. */
  readonly pollIntervalMs?: number
  /**
   * How long a backend may hold an `unlink` to see whether an `add` of the same path follows (an
   * editor's atomic save becomes one `change`). Below the debounce, so both halves of a rename
   * land in one batch. 0 turns it off.
   */
  readonly atomicMs?: number
  /** Called for each event on a watched file, or on a directory that could hold watched files. */
  onEvent(kind: RawEventKind, rel: string): void
  /** Called for watcher failures, converted to a `WatcherError` with a hint. Never followed by a throw. */
  onError(error: WatcherError): void
}

/** A running watcher of the root. */
export interface FileWatcher {
  /** Stops watching and releases every handle. Idempotent: later calls return the same promise. */
  close(): Promise<void>
  /**
   * Starts watching directories below `dirRel` ('' = root) that the matcher allows since the
   * start (after a late `include()`). Files already there are not reported.
   */
  refresh?(dirRel?: string): void
}

/**
 * A way of watching the root for changes: chokidar (the default) or another implementation
 * selected with the `watcher` option. The kernel does not know which one it runs on: a backend
 * reports raw events for watched files (never for files already there at start, which the
 * kernel scans itself), and the change source decides from the bytes what really changed.
 */
export interface WatcherBackend {
  readonly name: string
  /**
   * Loads what the backend needs (a native package) before anything else starts, so a missing
   * one fails `createHotReload` at once with an `OptionsError` that names it. Optional.
   */
  load?(options?: Pick<WatcherOptions, 'usePolling'>): Promise<void>
  /** Starts watching; resolves once the backend reports changes. */
  start(options: WatcherOptions): Promise<FileWatcher>
  /**
   * When the kernel calls `start`. False (the default): once the initial load has listed the
   * tree, so a backend that scans on the JavaScript thread and opens descriptors as it goes does
   * not compete with the listing for either. True: at once, alongside the whole load, for a
   * backend whose start-up crawl runs in a thread of its own (@parcel/watcher): ready then comes
   * after the slower of the two.
   */
  readonly startsWithLoad?: boolean
}
