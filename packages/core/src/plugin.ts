import type { ChangeSource, FileChange } from './changes.js'
import type { ErrorInfo } from './errors.js'
import type { EventMap, EventType, HotReloadEvent, PluginEvent } from './events.js'
import type { KernelHooks } from './hooks.js'
import type { Logger } from './logger.js'
import type { TransactionReason, TransactionRecord } from './record.js'
import type { ResolvedOptions } from './settings.js'

/**
 * A plugin: a name and an `apply(kernel)` that taps the kernel's hooks, the shape webpack uses.
 * `apply` runs once, inside `createHotReload`, before the initial load; one plugin object can be
 * applied to one instance only (the kernel refuses a second time).
 */
export interface Plugin {
  readonly name: string
  apply(kernel: Kernel): void | Promise<void>
  /** The `hotreload <name> ...` CLI command this plugin adds; its name is the plugin's name. */
  readonly command?: PluginCommand
  /**
   * Called by the CLI before it prints an event (as text or `--json`) and by plugins that send
   * events elsewhere (browsers): return a copy with secret values masked. In-process listeners
   * always get the real event.
   */
  redactEvent?(event: HotReloadEvent): HotReloadEvent
  /**
   * This plugin's section of `statusReport()`: what it knows about its own state (the fleet's
   * members and version, a backup count), as a plain JSON-serialisable object. Called on every
   * `statusReport()` after `apply`, in parallel with the other plugins' and bounded by its
   * `timeoutMs`; a throw or rejection is reported under the plugin's name in `sectionErrors`
   * and never fails the report. The section is in-process data: whoever sends it elsewhere (the
   * browser plugin's status endpoint) masks credentials in it first.
   */
  status?(): object | Promise<object>
}

/** A CLI command contributed by a plugin, `hotreload <plugin name> [args]`. Resolves to the exit code. */
export interface PluginCommand {
  readonly description: string
  readonly usage?: string
  /**
   * Whether these arguments only read (list, show). A read-only command gets an instance that ran
   * a dry run of the initial load: nothing applied and nothing written. Default: not read-only.
   */
  readOnly?(args: readonly string[]): boolean
  run(args: readonly string[], context: CommandContext): Promise<number>
}

/** What a plugin command gets: the started instance and where to print. */
export interface CommandContext {
  readonly reloader: HotReload
  readonly json: boolean
  print(line: string): void
  printError(line: string): void
}

/** Options for `reload()`. */
export interface ReloadOptions {
  /** Root-relative paths to reconsider; all watched files when omitted. */
  readonly paths?: readonly string[]
  /** Treat the paths as modified even when their bytes did not change. */
  readonly force?: boolean
  /** Run detect and validate only, report what would change, apply nothing. */
  readonly dryRun?: boolean
  /** What the record says caused it. Default `manual`. */
  readonly reason?: Extract<TransactionReason, 'manual' | 'restore' | 'fleet'>
}

/** Options of `kernel.claimFiles()`. */
export interface ClaimOptions {
  /** Files larger than this many bytes are refused by size, without being read. */
  readonly maxFileBytes?: number
  /**
   * How the core fingerprints the claimed files. `'content'` (the default): it reads and
   * sha256-hashes each one as it reconciles, and `tx.read()` serves those bytes from memory.
   * `'stat'`: it fingerprints them by size and mtime only and never reads them itself, so a
   * plugin that hashes the bytes anyway reads each file once, where it likes (plugin-assets
   * hashes large trees in worker threads). A touch then counts as a modification and a rename
   * pairs by size and mtime, as for unclaimed files. A file another plugin claims with
   * `'content'` is still read and hashed.
   */
  readonly fingerprint?: 'content' | 'stat'
}

/**
 * The kernel as plugins see it: the hooks, the resolved options, and the few services a plugin
 * needs from the core. Handed to `Plugin.apply`.
 */
export interface Kernel {
  readonly hooks: KernelHooks
  /** Absolute root directory; every path in changes and events is relative to it. */
  readonly root: string
  /** The id of this process run, on every event and record. */
  readonly runId: string
  readonly options: ResolvedOptions
  readonly log: Logger
  /** Adds picomatch globs (relative to root) to the watched set. Returns its removal. */
  include(globs: string | readonly string[]): () => void
  /**
   * Excludes paths from detection: globs relative to the root or absolute paths (a directory
   * excludes everything below it). Use it for everything the plugin writes.
   */
  exclude(globsOrPaths: string | readonly string[]): () => void
  /**
   * Adds `globs` to the watched set and claims, in detect, every change whose path (or, for a
   * rename, former path) matches them and passes `filter`. Claimed files are read and hashed as
   * they are reconciled (by stat only with `options.fingerprint: 'stat'`); a file no plugin
   * claims is fingerprinted by size and mtime (in the initial load by its listing alone, see
   * `Fingerprint`) and read only if `tx.read()` asks for it. With `options.maxFileBytes`, a larger file is never read:
   * it is fingerprinted by stat (its `fingerprint.size` tells the plugin to refuse it) and
   * `tx.read()` rejects with `HR_FILE_TOO_LARGE`. Returns its removal.
   */
  claimFiles(plugin: string, globs: string | readonly string[], filter?: (change: FileChange) => boolean, options?: ClaimOptions): () => void
  /**
   * Replaces the local files as the source of changes and bytes, for the whole instance. Only
   * during `apply(kernel)`, by one plugin at most.
   */
  useChangeSource(source: ChangeSource): void
  /** Runs a transaction now for `paths` (all watched files when omitted). */
  reload(options?: ReloadOptions): Promise<TransactionRecord>
  /** Emits a plugin event immediately, outside any transaction (prefer `tx.emit`). */
  emit(event: PluginEvent): void
  /** Subscribes to delivered events (after commit), like `HotReload.on`. Returns the unsubscribe. */
  on<K extends EventType>(type: K, listener: (event: EventMap[K]) => void): () => void
  on(type: '*', listener: (event: HotReloadEvent) => void): () => void
  /** The version of the last committed transaction (0 before anything was ever applied at this root). */
  version(): number
  /** The instance's status, as `HotReload.status()`. */
  status(): Status
  /** `status()` with every plugin's own section, as `HotReload.statusReport()`. */
  statusReport(options?: StatusReportOptions): Promise<StatusReport>
  /** Recent transaction records, as `HotReload.history()`. */
  history(): readonly TransactionRecord[]
  /** The instance's metrics in the Prometheus text format, as `HotReload.metrics()`. */
  metrics(): Promise<string>
  /** Runs `fn` when the instance closes; plugins release their resources here. Returns its removal. */
  onClose(fn: () => void | Promise<void>): () => void
  /**
   * Removes the temp files (named by `tempPathFor`) that an interrupted run left in `dir`, a
   * directory the plugin writes to; call it from `apply(kernel)`. The kernel holds the root's
   * writer lock by then, so no other writer's temps are in flight. A dry run removes nothing.
   * Resolves with the number of files removed; a failure is a warning, never a rejection.
   */
  sweepTemps(dir: string, options?: { readonly recursive?: boolean }): Promise<number>
}

/** Counters since start. */
export interface Counters {
  /** Raw watcher events received. */
  rawEvents: number
  /** Debounced batches flushed. */
  batches: number
  /** Paths whose event turned out to be a no-op (same bytes, touch, create+delete). */
  suppressed: number
  transactions: number
  applied: number
  rejected: number
  rolledBack: number
  aborted: number
}

/** A snapshot of the instance's state. */
export interface Status {
  readonly version: number
  readonly runId: string
  readonly root: string
  readonly watching: boolean
  /** The watcher backend, or the plugin-supplied change source. */
  readonly source: string
  /** Number of files currently known and watched. */
  readonly files: number
  /** A transaction is running right now. */
  readonly busy: boolean
  /** Paths waiting for the next transaction (debouncing, or left dirty by a rejected batch). */
  readonly pending: readonly string[]
  readonly last?: TransactionRecord
  readonly counters: Readonly<Counters>
  readonly plugins: readonly string[]
  readonly closed: boolean
}

/** Options of `statusReport()`. */
export interface StatusReportOptions {
  /** How long each plugin's `status()` may take before it is reported as timed out. Default 5000 ms. */
  readonly timeoutMs?: number
}

/**
 * What `statusReport()` resolves with: the instance's `Status` plus, under each plugin's name,
 * the section that plugin's `status()` returned (`sections.fleet` with the fleet plugin).
 */
export interface StatusReport extends Status {
  /** Each plugin's `status()` result, keyed by plugin name; only plugins that have one and answered. */
  readonly sections: Readonly<Record<string, object>>
  /**
   * The plugins whose `status()` threw, rejected, returned no object or timed out (code
   * `HR_STATUS_TIMEOUT`), keyed by plugin name, with the reason. Empty when all answered.
   */
  readonly sectionErrors: Readonly<Record<string, ErrorInfo>>
}

/** A running hotreload instance, returned by `createHotReload`. */
export interface HotReload extends AsyncIterable<HotReloadEvent> {
  readonly root: string
  /** The id of this process run, on every event and record. */
  readonly runId: string
  /**
   * Subscribes to one event type, or `'*'` for all. Returns the unsubscribe function.
   * Listeners run after the state they describe is committed; a throwing listener is
   * reported as an `error` event and never affects the transaction.
   */
  on<K extends EventType>(type: K, listener: (event: EventMap[K]) => void): () => void
  on(type: '*', listener: (event: HotReloadEvent) => void): () => void
  /** Like `on`, removed after the first call. */
  once<K extends EventType>(type: K, listener: (event: EventMap[K]) => void): () => void
  /** Async iterator of events from now on; ends when the instance closes or the loop breaks. */
  events(): AsyncIterableIterator<HotReloadEvent>
  /**
   * Runs a transaction now, for `paths` (all watched files when omitted). Resolves with its
   * record once it is committed, rejected, aborted, rolled back, or dry-run.
   */
  reload(options?: ReloadOptions): Promise<TransactionRecord>
  /** A synchronous snapshot of the instance's own state (no plugin sections). */
  status(): Status
  /**
   * `status()` taken now, plus the section of every plugin that has a `status()` method (the
   * fleet plugin's under `sections.fleet`), each asked in parallel and bounded by `timeoutMs`.
   * Resolves once every plugin answered, failed or timed out; never rejects for a plugin.
   */
  statusReport(options?: StatusReportOptions): Promise<StatusReport>
  /** The recent transactions of this run, oldest first, bounded by `historyLimit`. */
  history(): readonly TransactionRecord[]
  /**
   * The instance's metrics in the Prometheus text exposition format: transactions by status,
   * stage and per-plugin durations, files watched, raw events, batches, suppressed no-ops, the
   * last applied time and the current version. Serve it with `metricsHandler(reloader)`.
   */
  metrics(): Promise<string>
  /** Stops the watcher, waits for a running transaction, releases every handle. Idempotent. */
  close(): Promise<void>
}
