import { performance } from 'node:perf_hooks'
import type { ChangeSource, FileChange } from './changes.js'
import { toProblem, type ErrorInfo } from './errors.js'
import { FdLimitError } from './fd-limit.js'
import type { EventInput, PluginEvent } from './events.js'
import type { KernelHooks } from './hooks.js'
import { makeRecord, runStages, summarize } from './lifecycle.js'
import type { Counters, ReloadOptions } from './plugin.js'
import type { TransactionReason, TransactionRecord, TransactionStatus } from './record.js'
import type { RunState } from './run-state.js'
import type { ResolvedOptions } from './settings.js'
import { StageTimer } from './stage-timer.js'
import { TransactionContext } from './transaction.js'

interface QueueDeps {
  readonly hooks: KernelHooks
  readonly source: () => ChangeSource
  readonly options: ResolvedOptions
  readonly counters: Counters
  readonly runState: RunState
  emit(event: EventInput | PluginEvent): void
  reportError(error: unknown, context: string, plugin?: string): void
  /** Every finished record, whatever its status: the audit trail and the metrics. */
  onRecord(record: TransactionRecord): void
  /** The initial load's files read so far, throttled (see load-progress.ts). */
  readonly loadProgress?: (done: number, total: number) => void
}

interface RunOptions {
  readonly paths: Iterable<string>
  readonly force?: Iterable<string>
  readonly dryRun: boolean
  /** Watch batches only: whether a change is a state not yet tried. Without one, nothing runs. */
  readonly isNew?: (change: FileChange) => boolean
  /** The initial load only: told 0 of N before the files are read, then by the source. */
  readonly onProgress?: (done: number, total: number) => void
}

/**
 * Runs transactions one at a time. Paths from the watcher wait in `fresh`; paths of a batch
 * that was rejected or rolled back wait in `carried` and join every later batch, so a batch
 * stays all-or-nothing across edits and the state on disk is the state that ends up applied
 * (or rejected with a reason). Only a new state of some file starts a watch transaction: carried
 * paths alone, or an event for a file whose bytes are still those a failed transaction tried
 * (a watcher's late re-check, a touch), would retry a broken batch in a loop. A new edit is not
 * held back by older broken files: if only they have problems, the new files run on their own.
 */
export class TransactionQueue {
  version: number
  last: TransactionRecord | undefined
  private nextId = 0
  private running = false
  private tail: Promise<unknown> = Promise.resolve()
  private readonly fresh = new Set<string>()
  /** Carried paths, each with the state its failed transaction tried (see `stateAfter`). */
  private readonly carried = new Map<string, string>()
  private watchJobQueued = false
  private readonly records: TransactionRecord[] = []
  private readonly timer = new StageTimer((error, tx) => this.deps.reportError(error, `transaction ${tx.id} failed after its time limit`))
  /** The next transaction's abort controller, made once the last one was done (see `TransactionDeps`). */
  private spare: AbortController | undefined

  constructor(
    private readonly deps: QueueDeps,
    initialVersion: number,
  ) {
    this.version = initialVersion
  }

  get busy(): boolean {
    return this.running
  }

  pending(): string[] {
    return [...this.fresh, ...this.carried.keys()]
  }

  history(): readonly TransactionRecord[] {
    return Object.freeze([...this.records])
  }

  /** Loads every watched file as it is on disk. */
  initial(onListed?: () => void): Promise<TransactionRecord> {
    return this.enqueue(async () => {
      const paths = await this.deps.source().scan()
      onListed?.()
      return this.run('initial', { paths, dryRun: this.deps.options.dryRun, ...(this.deps.loadProgress ? { onProgress: this.deps.loadProgress } : {}) })
    })
  }

  /**
   * Where paths still being debounced come from: when a transaction ends, edits that arrived
   * meanwhile join the next batch at once instead of waiting out their quiet period.
   */
  takePending: () => readonly string[] = () => []

  /** Paths flushed by the debouncer. */
  watched(paths: readonly string[]): void {
    for (const p of paths) this.fresh.add(p)
    if (this.watchJobQueued) return
    this.watchJobQueued = true
    void this.enqueue(async () => {
      this.watchJobQueued = false
      while (this.fresh.size > 0) {
        for (const p of this.takePending()) this.fresh.add(p)
        const fresh = new Set(this.fresh)
        this.fresh.clear()
        const carried = [...this.carried.keys()].filter((p) => !fresh.has(p))
        const { record, older } = await this.runWatch(fresh, carried)
        // Files still broken from an earlier attempt must not hold back an independent new edit:
        // when every problem is in those older files, the new files are tried on their own.
        // The older batch stays carried, whole, until it is fixed.
        const newer = [...fresh].filter((p) => !older.has(p))
        if (record.status === 'rejected' && newer.length > 0 && older.size > 0 && onlyIn(record, older)) {
          await this.run('watch', { paths: newer, dryRun: this.deps.options.dryRun })
        }
      }
    })
  }

  /**
   * One watch transaction over the fresh and carried paths. `older` holds the paths whose state
   * is not new: carried ones, and fresh ones still in the state a failed transaction tried.
   * Without any newer state, nothing runs and the failed paths stay carried.
   */
  private async runWatch(fresh: ReadonlySet<string>, carried: readonly string[]): Promise<{ record: TransactionRecord; older: Set<string> }> {
    const older = new Set(carried)
    const record = await this.run('watch', {
      paths: [...fresh, ...carried],
      dryRun: this.deps.options.dryRun,
      isNew: (change) => {
        const paths = change.from === undefined ? [change.path] : [change.path, change.from]
        const stale = paths.every((p) => !fresh.has(p) || this.carried.get(p) === stateAfter(change, p))
        if (stale) paths.forEach((p) => older.add(p))
        return !stale
      },
    })
    return { record, older }
  }

  /** `reload()`: the given paths, or everything on disk and everything known. */
  manual(options: ReloadOptions): Promise<TransactionRecord> {
    return this.enqueue(async () => {
      const paths = options.paths ? options.paths.map(normalize) : await this.everything()
      return this.run(options.reason ?? 'manual', {
        paths: [...paths, ...this.carried.keys(), ...this.fresh],
        force: options.force ? paths : [],
        dryRun: options.dryRun ?? this.deps.options.dryRun,
      })
    })
  }

  /** Waits for the running and queued transactions to finish. */
  async drain(): Promise<void> {
    this.fresh.clear()
    await this.tail
    this.timer.stop()
  }

  private async everything(): Promise<string[]> {
    return [...new Set([...(await this.deps.source().scan()), ...this.known])]
  }

  /** Paths of the committed baseline (what `reload()` of everything reconsiders besides the scan). */
  private readonly known = new Set<string>()

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job)
    this.tail = result.catch((error: unknown) => this.deps.reportError(error, 'a transaction failed unexpectedly'))
    return result
  }

  private async run(reason: TransactionReason, run: RunOptions): Promise<TransactionRecord> {
    const { hooks, options, counters } = this.deps
    const source = this.deps.source()
    this.running = true
    const started = performance.now()
    const inputPaths = [...new Set(run.paths)]
    try {
      run.onProgress?.(0, inputPaths.length)
      const reconciled = await source.reconcile(inputPaths, { ...(run.force ? { force: run.force } : {}), ...(run.onProgress ? { onProgress: run.onProgress } : {}) })
      // A source that reports no progress of its own still ends the display.
      run.onProgress?.(inputPaths.length, inputPaths.length)
      counters.suppressed += reconciled.noops.length
      const controller = this.spare
      this.spare = undefined
      const tx = new TransactionContext(++this.nextId, this.version + 1, this.deps.runState.runId, reason, run.dryRun, reconciled.changes, {
        read: (c) => source.read(c),
        reportError: this.deps.reportError,
        ...(controller ? { controller } : {}),
      })
      for (const { path, error } of reconciled.unreadable) {
        // Out of descriptors is about the process, not the file: keep that error's code and hint.
        tx.addProblem(error instanceof FdLimitError ? toProblem(error, 'core', path) : { ...toProblem(error, 'core', path), code: 'HR_UNREADABLE', hint: 'Check that the file is readable by this process.' })
      }
      // The initial load runs its hooks even with no file at all: a plugin must be able to say
      // that something it requires is missing (a config with a schema and no file, issue 13).
      if (reason !== 'initial' && reconciled.changes.length === 0 && reconciled.unreadable.length === 0) {
        this.nextId--
        const resolved = inputPaths.filter((p) => this.carried.has(p))
        for (const p of inputPaths) this.carried.delete(p)
        // A failed batch's files are back to the applied bytes: say so, or the last word anyone
        // heard about them stays "rejected".
        if (resolved.length > 0) this.deps.emit({ type: 'resolved', paths: resolved })
        return this.recorded(makeRecord(tx, 'unchanged', this.version, performance.now() - started))
      }
      // Evaluate every change: the callback also sorts the stale ones out for the caller. The
      // stale paths are carried already, with the state they were tried in.
      if (run.isNew && reconciled.unreadable.length === 0 && !reconciled.changes.map(run.isNew).includes(true)) {
        this.nextId--
        return this.recorded(makeRecord(tx, 'unchanged', this.version, performance.now() - started))
      }
      counters.transactions++
      const outcome = await runStages(tx, {
        hooks,
        options,
        timer: this.timer,
        reportError: this.deps.reportError,
        reserveVersion: (t) => this.deps.runState.save(t.version),
        commitPoint: (t) => {
          this.version = t.version
          this.takeIn(source, t.changes)
        },
      })
      // In a dry-run session the files as they were at start are the reference, so each later
      // dry run reports edits (modified) rather than everything as new.
      if (outcome.status === 'dry-run' && reason === 'initial') this.takeIn(source, tx.changes)
      return this.finish(tx, outcome.status, performance.now() - started, inputPaths, outcome.error)
    } finally {
      source.release()
      this.running = false
      // The next version, recorded while nothing waits: the next commit has nothing to write.
      this.deps.runState.reserve(this.version + 1)
      // After the transaction's subscribers had their turn: the next one finds it made, with
      // its signal (which Node makes at the first `signal` read; plugins read it in validate).
      if (this.spare === undefined) {
        this.spare = new AbortController()
        void this.spare.signal
      }
    }
  }

  private recorded(record: TransactionRecord): TransactionRecord {
    this.deps.onRecord(record)
    return record
  }

  /** Takes committed changes into the source's baseline and the list of known paths. */
  private takeIn(source: ChangeSource, changes: readonly FileChange[]): void {
    source.commit(changes)
    for (const change of changes) {
      if (change.kind === 'deleted' || change.kind === 'renamed') this.known.delete(change.from ?? change.path)
      if (change.kind !== 'deleted') this.known.add(change.path)
    }
  }

  private finish(tx: TransactionContext, status: TransactionStatus, durationMs: number, inputPaths: readonly string[], error?: ErrorInfo): TransactionRecord {
    const { counters, emit } = this.deps
    const record = makeRecord(tx, status, this.version, durationMs, error)
    if (status === 'applied') {
      counters.applied++
      for (const p of inputPaths) this.carried.delete(p)
    } else if (status === 'rejected' || status === 'rolled-back' || status === 'aborted') {
      if (status === 'rejected') counters.rejected++
      else if (status === 'aborted') counters.aborted++
      else counters.rolledBack++
      // Paths that changed nothing (back to the applied bytes) are not carried.
      for (const p of inputPaths) this.carried.delete(p)
      for (const change of tx.changes) {
        for (const p of change.from === undefined ? [change.path] : [change.path, change.from]) this.carried.set(p, stateAfter(change, p))
      }
      // An unreadable file has no state to compare: any event for it is new.
      for (const problem of record.problems) {
        if (problem.path !== undefined && inputPaths.includes(problem.path) && !this.carried.has(problem.path)) this.carried.set(problem.path, 'unreadable')
      }
    }
    this.records.push(record)
    if (this.records.length > this.deps.options.historyLimit) this.records.shift()
    this.last = record

    const paths = pathsOf(tx.changes)
    const base = { id: tx.id, reason: tx.reason, changes: summarize(tx.changes), paths, durationMs: record.durationMs }
    if (status === 'applied') {
      for (const event of tx.events) emit(event)
      emit({ type: 'applied', ...base, plugins: record.plugins })
    } else if (status === 'rejected') {
      emit({ type: 'rejected', ...base, problems: record.problems })
    } else if (status === 'aborted' && record.abort) {
      emit({ type: 'aborted', ...base, abort: record.abort })
    } else if (status === 'rolled-back' && error) {
      emit({ type: 'rolled-back', ...base, error })
    } else if (status === 'dry-run') {
      emit({ type: 'dry-run', ...base, problems: record.problems, plugins: record.plugins })
    }
    // The metrics and the audit trail take the record once its listeners had it (issue 11:
    // observing took ~0.1 ms of every save before anyone saw the new value). The same turn:
    // a scrape or a history read that follows an event sees it counted.
    this.recorded(record)
    // Never awaited: a slow or hung notify tap must not hold up the next transaction or close().
    // Each tap is time-limited and reports its own failure (see tap-guard.ts).
    void this.deps.hooks.notify.promise(record)
    return record
  }
}

function pathsOf(changes: readonly FileChange[]): string[] {
  const out: string[] = []
  for (const c of changes) {
    if (c.from !== undefined) out.push(c.from)
    out.push(c.path)
  }
  return out
}

/** The state a change leaves `path` in: its content hash, or missing. */
function stateAfter(change: FileChange, path: string): string {
  return path === change.path && change.kind !== 'deleted' ? `hash:${change.fingerprint?.hash ?? ''}` : 'missing'
}

/** True when every problem of a rejected record names a file in `paths`. */
function onlyIn(record: TransactionRecord, paths: ReadonlySet<string>): boolean {
  return record.problems.length > 0 && record.problems.every((p) => p.path !== undefined && paths.has(p.path))
}

function normalize(path: string): string {
  return path.replaceAll('\\', '/').replace(/^\.\//, '')
}
