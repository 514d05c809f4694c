import { OptionsError } from '../errors.js'
import type { WatcherBackend } from './backend.js'
import { chokidarBackend } from './chokidar.js'
import { parcelBackend } from './parcel.js'

/** The backends selectable by name with the `watcher` option (`--watcher` on the CLI). */
const BUILT_IN: Readonly<Record<string, WatcherBackend>> = Object.freeze({ chokidar: chokidarBackend, parcel: parcelBackend })

/** The backend for the `watcher` option: a built-in name, or a `WatcherBackend` object as is. */
export function selectBackend(choice: string | WatcherBackend): WatcherBackend {
  if (typeof choice !== 'string') return choice
  const backend = Object.hasOwn(BUILT_IN, choice) ? BUILT_IN[choice] : undefined
  if (!backend) {
    throw new OptionsError(`unknown watcher backend "${choice}"`, { hint: `Use one of: ${Object.keys(BUILT_IN).join(', ')}.` })
  }
  return backend
}
