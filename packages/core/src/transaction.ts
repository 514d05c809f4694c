import type { FileChange } from './changes.js'
import { HotReloadError, toErrorInfo, type ErrorInfo, type Problem } from './errors.js'
import type { PluginEvent } from './events.js'
import type { StagingKey, Transaction } from './hooks.js'
import type { AbortInfo, StageName, TransactionReason } from './record.js'

interface Undo {
  readonly plugin: string
  readonly run: () => void | Promise<void>
}

/** What a transaction needs from the kernel besides its data. */
export interface TransactionDeps {
  readonly read: (change: FileChange) => Promise<Buffer>
  /** Reports an undo that failed, or ran late. */
  readonly reportError: (error: unknown, context: string, plugin?: string) => void
  /**
   * A controller made ahead, while the queue was idle (see `TransactionQueue`): making one on
   * the save path cost ~30 µs of a single save. Without it, one is made at the first `signal`.
   */
  readonly controller?: AbortController
}

/**
 * The transaction object the hooks receive. Internal: plugins see the `Transaction` interface.
 * It also keeps what the kernel needs to stop a stale transaction in one place: the abort
 * signal, the taps still running, and the undos waiting for them.
 */
export class TransactionContext implements Transaction {
  readonly undos: Undo[] = []
  readonly events: PluginEvent[] = []
  readonly startedAt = new Date()
  /** The tap currently running, kept by the hook interceptors so errors name their plugin. */
  currentPlugin: string | undefined
  changes: readonly FileChange[]
  /** Set by `abort()` or a prepare failure. */
  abortInfo: AbortInfo | undefined
  readonly stageTimes: Partial<Record<StageName, number>> = {}
  readonly pluginTimes: Record<string, Partial<Record<StageName, number>>> = {}
  private readonly claims = new Map<string, FileChange[]>()
  private readonly claimedSets = new Map<string, Set<FileChange>>()
  private readonly problemList: Problem[] = []
  // Made when someone first asks for `signal` (or handed in made ahead): the kernel itself only
  // needs `stale`, a field.
  private controller: AbortController | undefined
  private cancelled: Error | undefined
  private readonly stagedValues = new Map<StagingKey<unknown>, unknown>()
  /** Taps still running, by plugin: their undos wait until they settle. */
  private readonly running = new Map<string, number>()
  private readonly deferred = new Map<string, Undo[]>()
  private rolledBack = false

  constructor(
    readonly id: number,
    readonly version: number,
    readonly runId: string,
    readonly reason: TransactionReason,
    readonly dryRun: boolean,
    changes: readonly FileChange[],
    private readonly deps: TransactionDeps,
  ) {
    this.changes = Object.freeze([...changes])
    this.controller = deps.controller
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.cancelled) this.controller.abort(this.cancelled)
    }
    return this.controller.signal
  }

  /** True once a stage timed out, the transaction was aborted, or it was rolled back. */
  get stale(): boolean {
    return this.cancelled !== undefined
  }

  /** Why the transaction went stale (the first `cancel` reason), or undefined. */
  get staleReason(): Error | undefined {
    return this.cancelled
  }

  /** Marks the transaction stale: no further tap runs. */
  cancel(reason: Error): void {
    if (this.cancelled) return
    this.cancelled = reason
    this.controller?.abort(reason)
  }

  claim(plugin: string, change: FileChange): void {
    let list = this.claims.get(plugin)
    let seen = this.claimedSets.get(plugin)
    if (!list || !seen) {
      this.claims.set(plugin, (list = []))
      this.claimedSets.set(plugin, (seen = new Set()))
    }
    // A Set beside the list: `includes` made claiming an initial load of 10,000 files quadratic.
    if (seen.has(change)) return
    seen.add(change)
    list.push(change)
  }

  claimed(plugin: string): readonly FileChange[] {
    return this.claims.get(plugin) ?? []
  }

  /**
   * The file a failure of `plugin` is about, where the kernel knows it: the first file the
   * plugin claimed (a stage timeout or a throwing tap ran over its files), else the only file of
   * the transaction (a detect tap that threw before any claim).
   */
  pathOfFailure(plugin: string): string | undefined {
    const claimed = this.claimed(plugin)[0]
    if (claimed) return claimed.path
    return this.changes.length === 1 ? this.changes[0]?.path : undefined
  }

  claimants(): readonly string[] {
    return [...this.claims.keys()]
  }

  problem(problem: Problem): void {
    if (this.stale) return
    this.problemList.push(Object.freeze({ ...problem }))
  }

  /** A problem the kernel reports itself, also once the transaction is stale (a stage timeout). */
  addProblem(problem: Problem): void {
    this.problemList.push(Object.freeze({ ...problem }))
  }

  problems(): readonly Problem[] {
    return this.problemList
  }

  read(change: FileChange): Promise<Buffer> {
    if (change.kind === 'deleted') {
      return Promise.reject(new HotReloadError('HR_READ_DELETED', `${change.path} was deleted; there is nothing to read`, { path: change.path }))
    }
    return this.deps.read(change)
  }

  abort(reason: AbortInfo | string): void {
    if (this.abortInfo) return
    const info: AbortInfo = typeof reason === 'string' ? { code: 'HR_ABORTED', message: reason } : reason
    this.abortInfo = Object.freeze({ ...info, ...(info.plugin === undefined && this.currentPlugin ? { plugin: this.currentPlugin } : {}) })
    this.cancel(new HotReloadError(info.code, info.message))
  }

  onRollback(plugin: string, undo: () => void | Promise<void>): void {
    const entry = { plugin, run: undo }
    if (!this.rolledBack) {
      this.undos.push(entry)
      return
    }
    // Registered by a tap that kept running after the rollback: undo once it settles.
    this.defer(entry)
  }

  emit(event: PluginEvent): void {
    if (!this.stale) this.events.push(event)
  }

  stage<T>(key: StagingKey<T>, value: T): void {
    if (!this.stale) this.stagedValues.set(key, value)
  }

  staged<T>(key: StagingKey<T>): T | undefined {
    return this.stagedValues.get(key) as T | undefined
  }

  /** Called by the interceptors around every tap. */
  tapStarted(plugin: string): void {
    this.currentPlugin = plugin
    this.running.set(plugin, (this.running.get(plugin) ?? 0) + 1)
  }

  /**
   * Called when a tap settles; runs the undos that waited for it. Returns their promise, or
   * undefined when none waited (the common case: the caller goes on without a turn).
   */
  tapSettled(plugin: string, stage: StageName, ms: number): Promise<void> | undefined {
    const times = (this.pluginTimes[plugin] ??= {})
    times[stage] = round((times[stage] ?? 0) + ms)
    const left = (this.running.get(plugin) ?? 1) - 1
    if (left > 0) {
      this.running.set(plugin, left)
      return undefined
    }
    this.running.delete(plugin)
    const waiting = this.deferred.get(plugin)
    if (!waiting) return undefined
    this.deferred.delete(plugin)
    return this.runLateUndos(waiting)
  }

  private async runLateUndos(waiting: Undo[]): Promise<void> {
    for (const undo of waiting.reverse()) await this.runUndo(undo, 'late undo')
  }

  /**
   * Runs every registered undo in reverse order. The undo of a tap still running (it outlived
   * its stage's time limit) waits until that tap settles, so it undoes everything the tap did.
   */
  async rollBack(): Promise<void> {
    this.rolledBack = true
    for (const undo of [...this.undos].reverse()) {
      if (this.running.has(undo.plugin)) this.defer(undo)
      else await this.runUndo(undo, 'undo')
    }
  }

  private defer(undo: Undo): void {
    if (!this.running.has(undo.plugin)) {
      void this.runUndo(undo, 'late undo')
      return
    }
    const list = this.deferred.get(undo.plugin) ?? []
    list.push(undo)
    this.deferred.set(undo.plugin, list)
  }

  private async runUndo(undo: Undo, what: string): Promise<void> {
    try {
      await undo.run()
    } catch (error) {
      this.deps.reportError(error, `plugin "${undo.plugin}" could not ${what} its apply`, undo.plugin)
    }
  }
}

/** Remembers which plugin threw, for the rolled-back event, without changing the error's class. */
const pluginOf = new WeakMap<object, string>()
export function attribute(error: unknown, plugin: string): unknown {
  if (typeof error === 'object' && error !== null && !pluginOf.has(error)) pluginOf.set(error, plugin)
  return error
}

/** Plain data of a failed stage, naming the plugin that threw. */
export function describeFailure(error: unknown, tx: TransactionContext): ErrorInfo {
  const plugin = (typeof error === 'object' && error !== null ? pluginOf.get(error) : undefined) ?? tx.currentPlugin
  return toErrorInfo(error, plugin === undefined ? {} : { plugin })
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
