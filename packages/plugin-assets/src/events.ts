import type { EventBase } from '@hotreload/core'

/**
 * Emitted once per asset whose fingerprinted URL changed, delivered after the transaction
 * committed (never for a rejected, aborted or rolled-back one). Servers use `oldUrl` to purge
 * caches and `url` to push the new version.
 */
export interface AssetUpdatedEvent extends EventBase {
  readonly type: 'asset:updated'
  /** The plugin instance that owns the asset. */
  readonly plugin: string
  readonly kind: 'created' | 'modified' | 'deleted' | 'renamed'
  /** Logical path (relative to `dir`); for a deletion, the path that was removed. */
  readonly logicalPath: string
  /** For `renamed`: the logical path before the rename. */
  readonly from?: string
  /** Hash before the change (absent for `created`). */
  readonly oldHash?: string
  /** Hash after the change (absent for `deleted`). */
  readonly newHash?: string
  /** URL of the new version (absent for `deleted`). */
  readonly url?: string
  /** URL of the version it replaces (absent for `created`). */
  readonly oldUrl?: string
}

declare module '@hotreload/core' {
  interface PluginEventMap {
    'asset:updated': AssetUpdatedEvent
  }
}
