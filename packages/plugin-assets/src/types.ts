import type { Plugin, PluginCommand } from '@hotreload/core'
// The event this plugin emits is declared on PluginEventMap there.
import type {} from './events.js'

/** Options of `assetsPlugin()`. Paths are relative to the hotreload root unless absolute. */
export interface AssetsPluginOptions {
  /** Plugin name, unique per instance (use two names to keep two manifests). Default `'assets'`. */
  readonly name?: string
  /** Directory holding the assets; logical paths (the manifest's keys) are relative to it. Default `'static'`. */
  readonly dir?: string
  /**
   * picomatch globs, relative to the root, selecting the assets (added to the watched set).
   * Only files under `dir` are assets; a match outside it is ignored. Default `'<dir>/**\/*'`.
   */
  readonly files?: string | readonly string[]
  /** Where the manifest is written. Default `'.hotreload/assets-manifest.json'`. */
  readonly manifestPath?: string
  /**
   * Output folder: when set, every asset is also copied here under its fingerprinted name,
   * ready to serve. Must not contain `dir`.
   */
  readonly outDir?: string
  /** Copies kept per asset in `outDir`, the current one included; older ones are removed. Default 3. */
  readonly keepVersions?: number
  /** Prefix of the URLs `url()` returns and events carry, e.g. `'/assets/'` or a CDN origin. Default `'/'`. */
  readonly publicPath?: string
  /** Hex characters of the sha256 put in fingerprinted names, 4 to 64. Default 8. */
  readonly hashLength?: number
}

/** One manifest entry: where the current version of a logical asset lives and how to verify it. */
export interface ManifestEntry {
  /** Fingerprinted name relative to `outDir` / `publicPath`, e.g. `css/app.3f2a9c1b.css`. */
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
  /** Logical paths hashed by the most recent transaction that staged anything (dry runs included). */
  readonly lastHashed: readonly string[]
  /** Times the manifest file was replaced on disk (each at a commit, or the empty one at start). */
  readonly manifestWrites: number
  /** Fingerprinted copies written to `outDir`. */
  readonly copiesWritten: number
  /** Superseded copies removed from `outDir` (beyond `keepVersions`), after their commit. */
  readonly copiesRemoved: number
  /** Absolute path of the manifest file (empty until the plugin is applied to a kernel). */
  readonly manifestPath: string
}

/** The plugin, which is also the app's handle on the manifest. */
export interface AssetsPlugin extends Plugin {
  /**
   * `hotreload <name> [list | url <logical path>]`. Read-only: in the CLI it runs on an instance
   * that ran a dry run, and prints the manifest that dry run computed.
   */
  readonly command: PluginCommand
  /**
   * The manifest as last committed: a frozen object, replaced (never mutated) in the commit of
   * each applied transaction, so a transaction that rolls back is never seen. Empty before the
   * initial load. Its prototype is null, so an asset named `__proto__` or `constructor` is an
   * own key and a name that is not an asset is undefined.
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
