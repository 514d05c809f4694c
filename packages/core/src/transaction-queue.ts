import { performance } from 'node:perf_hooks'
import { toErrorInfo, toProblem } from './errors.js'
import type { FileState } from './file-state.js'
import type { KernelHooks } from './hooks.js'
import { describeFailure, makeRecord, summarize, TransactionContext, withStageTimeout } from './transaction.js'
import type {
  EventInput,
  Counters,
  FileChange,
  Logger,
  PluginEvent,
  ReloadOptions,
  ResolvedOptions,
  TransactionReason,
  TransactionRecord,
} from './types.js'

interface QueueDeps {
  readonly hooks: KernelHooks
  readonly files: FileState
  readonly options: ResolvedOptions
  readonly counters: Counters
  emit(event: EventInput | PluginEvent): void
  reportError(error: unknown, context: string, plugin?: string): void
  readonly log: Logger
}

interface RunOptions {
  readonly paths: Iterable<string>
  readonly force?: Iterable<string>
  readonly dryRun: boolean
  /** Watch batches only: whether a change is a state not yet tried. Without one, nothing runs. */
  readonly isNew?: (change: FileChange) => boolean
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
  version = 0
  last: TransactionRecord | undefined
  private nextId = 0
  private running = false
  private tail: Promise<unknown> = Promise.resolve()
  private readonly fresh = new Set<string>()
  /** Carried paths, each with the state its failed transaction tried (see `stateAfter`). */
  private readonly carried = new Map<string, string>()
  private watchJobQueued = false
  private readonly records: TransactionRecord[] = []

  constructor(private readonly deps: QueueDeps) {}

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
  initial(): Promise<TransactionRecord> {
    return this.enqueue(async () => this.run('initial', { paths: await this.deps.files.scan(), dryRun: this.deps.options.dryRun }))
  }

  /** Paths flushed by the debouncer. */
  watched(paths: readonly string[]): void {
    for (const p of paths) this.fresh.add(p)
    if (this.watchJobQueued) return
    this.watchJobQueued = true
    void this.enqueue(async () => {
      this.watchJobQueued = false
      while (this.fresh.size > 0) {
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
      return this.run('manual', {
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
  }

  private async everything(): Promise<string[]> {
    return [...new Set([...(await this.deps.files.scan()), ...this.deps.files.baseline().keys()])]
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job)
    this.tail = result.catch((error: unknown) => this.deps.reportError(error, 'a transaction failed unexpectedly'))
    return result
  }

  private async run(reason: TransactionReason, run: RunOptions): Promise<TransactionRecord> {
    const { hooks, files, options, counters } = this.deps
    this.running = true
    const started = performance.now()
    const inputPaths = [...new Set(run.paths)]
    try {
      const reconciled = await files.reconcile(inputPaths, run.force ? { force: run.force } : {})
      counters.suppressed += reconciled.noops.length
      const tx = new TransactionContext(++this.nextId, this.version + 1, reason, run.dryRun, reconciled.changes, (c) => files.read(c))
      for (const { path, error } of reconciled.unreadable) {
        tx.problem({ ...toProblem(error, 'core', path), code: 'HR_UNREADABLE', hint: 'Check that the file is readable by this process.' })
      }
      // The initial load runs its hooks even with no file at all: a plugin must be able to say
      // that something it requires is missing (a config with a schema and no file, issue 13).
      if (reason !== 'initial' && reconciled.changes.length === 0 && reconciled.unreadable.length === 0) {
        this.nextId--
        for (const p of inputPaths) this.carried.delete(p)
        return makeRecord(tx, 'unchanged', this.version, performance.now() - started)
      }
      // Evaluate every change: the callback also sorts the stale ones out for the caller. The
      // stale paths are carried already, with the state they were tried in.
      if (run.isNew && reconciled.unreadable.length === 0 && !reconciled.changes.map(run.isNew).includes(true)) {
        this.nextId--
        return makeRecord(tx, 'unchanged', this.version, performance.now() - started)
      }
      counters.transactions++
      const elapsed = () => performance.now() - started
      const late = (error: unknown) => this.deps.reportError(error, `transaction ${tx.id} failed after its time limit`)

      try {
        tx.changes = await withStageTimeout('detect', options.stageTimeoutMs, tx, () => hooks.detect.promise(tx.changes, tx), late)
        await withStageTimeout('validate', options.stageTimeoutMs, tx, () => hooks.validate.promise(tx), late)
      } catch (error) {
        tx.problem(toProblem(error, tx.currentPlugin ?? 'core'))
      }

      if (tx.dryRun) {
        // In a dry-run session the files as they were at start are the reference, so each later
        // dry run reports edits (modified) rather than everything as new.
        if (reason === 'initial') files.commit(tx.changes)
        return this.finish(tx, 'dry-run', elapsed(), inputPaths)
      }
      if (tx.problems().length > 0) return this.finish(tx, 'rejected', elapsed(), inputPaths)

      try {
        await withStageTimeout('apply', options.stageTimeoutMs, tx, () => hooks.apply.promise(tx), late)
      } catch (error) {
        const info = describeFailure(error, tx)
        await this.rollback(tx, error)
        return this.finish(tx, 'rolled-back', elapsed(), inputPaths, info)
      }
      this.version = tx.version
      files.commit(tx.changes)
      return this.finish(tx, 'applied', elapsed(), inputPaths)
    } finally {
      files.release()
      this.running = false
    }
  }

  private async rollback(tx: TransactionContext, cause: unknown): Promise<void> {
    const error = cause instanceof Error ? cause : new Error(String(cause))
    for (const undo of [...tx.undos].reverse()) {
      try {
        await withStageTimeout('rollback', this.deps.options.stageTimeoutMs, tx, async () => undo.run(), (late) =>
          this.deps.reportError(late, `undo of plugin "${undo.plugin}" failed late`, undo.plugin),
        )
      } catch (undoError) {
        this.deps.reportError(undoError, `plugin "${undo.plugin}" could not undo its apply`, undo.plugin)
      }
    }
    await this.deps.hooks.rollback.promise(tx, error)
  }

  private async finish(
    tx: TransactionContext,
    status: TransactionRecord['status'],
    durationMs: number,
    inputPaths: readonly string[],
    error?: ReturnType<typeof toErrorInfo>,
  ): Promise<TransactionRecord> {
    const { counters, emit } = this.deps
    const record = makeRecord(tx, status, this.version, durationMs, error)
    if (status === 'applied') {
      counters.applied++
      for (const p of inputPaths) this.carried.delete(p)
    } else if (status === 'rejected' || status === 'rolled-back') {
      if (status === 'rejected') counters.rejected++
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
    } else if (status === 'rolled-back' && error) {
      emit({ type: 'rolled-back', ...base, error })
    } else if (status === 'dry-run') {
      emit({ type: 'dry-run', ...base, problems: record.problems, plugins: record.plugins })
    }
    await this.deps.hooks.notify.promise(record)
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
