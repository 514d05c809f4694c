// The watcher backends every watcher and editor-save test runs against, the way chokidar runs
// its own suite twice (native events and polling).
import { chokidarBackend } from '../src/watchers/chokidar.js'
import { parcelBackend } from '../src/watchers/parcel.js'
import type { WatcherBackend } from '../src/watchers/backend.js'

export interface BackendCase {
  /** How test names spell it. */
  readonly label: string
  /** The `watcher` option. */
  readonly watcher: 'chokidar' | 'parcel'
  readonly backend: WatcherBackend
  readonly usePolling: boolean
}

export const BACKENDS: readonly BackendCase[] = [
  { label: 'chokidar native', watcher: 'chokidar', backend: chokidarBackend, usePolling: false },
  { label: 'chokidar polling', watcher: 'chokidar', backend: chokidarBackend, usePolling: true },
  { label: 'parcel', watcher: 'parcel', backend: parcelBackend, usePolling: false },
]
