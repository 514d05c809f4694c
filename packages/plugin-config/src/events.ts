import type { EventBase } from '@hotreload/core'
import type { ConfigDiff } from './diff.js'

/**
 * Announced after a transaction that changed a config commits. `oldValue` is undefined for a
 * config that just appeared, `newValue` for one that was removed. Values are the real, frozen
 * values; print them with `redact()` / `formatDiff()`. `paths` are the files that changed.
 */
export interface ConfigChangedEvent extends EventBase {
  readonly type: 'config:changed'
  /** The name of the plugin instance that owns the config. */
  readonly plugin: string
  /** The config name, e.g. `app`. */
  readonly name: string
  readonly oldValue: unknown
  readonly newValue: unknown
  readonly diff: ConfigDiff
}

declare module '@hotreload/core' {
  interface PluginEventMap {
    'config:changed': ConfigChangedEvent
  }
}

