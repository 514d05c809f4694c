import type { EventBase, Plugin } from '@hotreload/core'

/** Options of `assetsPlugin()`. Paths are relative to the hotreload root unless absolute. */
export interface AssetsPluginOptions {
  /** Plugin name, unique per instance (use two names to keep two manifests). Default `'assets'`. */
  readonly name?: string
  /** Directory holding the assets; logical paths (the manifest's keys) are relative to it. Default `'static'`. */
  readonly dir?: string
  /** picomatch globs, relative to `dir`, selecting the assets. Default `'**\/*'`. */
  readonly files?: string | readonly string[]
  /** Where the manifest is written. Default `'.hotreload/assets-manifest.json'`. */
  readonly manifestPath?: string
  /** When set, every asset is also copied here under its fingerprinted name, ready to serve. */
  readonly outputDir?: string
  /** Copies kept per asset in `outputDir`, the current one included; older ones are removed. Default 3. */
  readonly keepVersions?: number
  /** Prefix of the URLs `url()` returns and events carry, e.g. `'/assets/'` or a CDN origin. Default `'/'`. */
  readonly publicPath?: string
  /** Hex characters of the sha256 put in fingerprinted names, 4 to 64. Default 8. */
  readonly hashLength?: number
}

/** One manifest entry: where the current version of a logical asset lives and how to verify it. */
export interface ManifestEntry {
  /** Fingerprinted name relative to `outputDir` / `publicPath`, e.g. `css/app.3f2a9c1b.css`. */
  readonly file: string
  /** sha256 of the bytes, hex. */
  readonly hash: string
  /** Size in bytes. */
  readonly size: number
  /** Subresource Integrity value, `sha384-<base64>`, for `<script integrity>` and `<link integrity>`. */
  readonly integrity: string
}

/** The manifest: logical path (relative to `dir`) to its entry, keys in sorted order. */
export type Manifest = Readonly<Record<string, ManifestEntry>>

/** Work counters since the plugin started, for monitoring and for checking incremental updates. */
export interface AssetStats {
  /** Assets in the current manifest. */
  readonly assets: number
  /** Sum of their sizes in bytes. */
  readonly totalBytes: number
  /** Files hashed since start (each hash pass computes sha256 and sha384 together), rejected batches included. */
  readonly hashed: number
  /** Bytes read by those passes. */
  readonly bytesHashed: number
  /** Entries carried over by a rename without reading the file again. */
  readonly reused: number
  /** Logical paths hashed by the most recent transaction that staged anything. */
  readonly lastHashed: readonly string[]
  /** Times the manifest file was replaced on disk. */
  readonly manifestWrites: number
  /** Fingerprinted copies written to `outputDir`. */
  readonly copiesWritten: number
  /** Copies removed from `outputDir`: superseded beyond `keepVersions`, or undone by a rollback. */
  readonly copiesRemoved: number
  /** Absolute path of the manifest file (empty until the plugin is applied to a kernel). */
  readonly manifestPath: string
}

/**
 * Emitted once per asset whose fingerprinted URL changed, after the transaction committed.
 * Servers use `oldUrl` to purge caches and `url` to push the new version.
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

/** The plugin, which is also the app's handle on the manifest. */
export interface AssetsPlugin extends Plugin {
  /**
   * The manifest as last committed: a frozen object, replaced (never mutated) by each applied
   * transaction. Empty before the initial load. Its prototype is null, so an asset named
   * `__proto__` or `constructor` is an own key and a name that is not an asset is undefined.
   */
  manifest(): Manifest
  /**
   * The fingerprinted URL of a logical path (a leading `/` is ignored), e.g. `url('css/app.css')`
   * returns `'/css/app.3f2a9c1b.css'`. Throws `UnknownAssetError` for a path not in the manifest.
   */
  url(logicalPath: string): string
  /** A snapshot of the work counters. */
  stats(): AssetStats
}
