import { performance } from 'node:perf_hooks'
import type { ChangeSummary, FileChange } from './changes.js'
import { toErrorInfo, toProblem, type ErrorInfo } from './errors.js'
import type { KernelHooks } from './hooks.js'
import type { AbortInfo, StageName, TransactionRecord, TransactionStatus } from './record.js'
import type { ResolvedOptions } from './settings.js'
import type { StageTimer } from './stage-timer.js'
import { describeFailure, type TransactionContext } from './transaction.js'

/** How the stages of one transaction ended. */
export interface Outcome {
  readonly status: Exclude<TransactionStatus, 'unchanged'>
  readonly error?: ErrorInfo
}

export interface LifecycleDeps {
  readonly hooks: KernelHooks
  readonly options: ResolvedOptions
  readonly timer: StageTimer
  /** Takes the version before any commit tap runs; throws if it cannot be recorded (rolls back). */
  reserveVersion(tx: TransactionContext): void
  /** The version is the transaction's now: plugins' commit taps run next. */
  commitPoint(tx: TransactionContext): void
  reportError(error: unknown, context: string, plugin?: string): void
}

/**
 * Runs the stages of one transaction: detect, validate (a dry run stops here), prepare (the
 * gate: an abort stops here), apply (a failure rolls every undo back), then the commit point
 * and the commit taps. Readers see nothing of a transaction before its commit taps run, and
 * nothing at all of one that did not get there.
 */
export async function runStages(tx: TransactionContext, deps: LifecycleDeps): Promise<Outcome> {
  const { hooks, options } = deps
  const ms = options.stageTimeoutMs
  try {
    if (hooks.detect.taps.length > 0) tx.changes = await timed(tx, deps, 'detect', ms, () => hooks.detect.promise(tx.changes, tx))
    else untapped(tx, 'detect')
    if (hooks.validate.taps.length > 0) await timed(tx, deps, 'validate', ms, () => hooks.validate.promise(tx))
    else untapped(tx, 'validate')
  } catch (error) {
    // A timeout or a throwing detect tap is about the running plugin's files: name one.
    const plugin = tx.currentPlugin ?? 'core'
    tx.addProblem(toProblem(error, plugin, tx.pathOfFailure(plugin)))
  }
  if (tx.dryRun) return { status: 'dry-run' }
  if (tx.problems().length > 0) return { status: 'rejected' }

  try {
    if (hooks.prepare.taps.length > 0) await timed(tx, deps, 'prepare', options.prepareTimeoutMs, () => hooks.prepare.promise(tx))
    else untapped(tx, 'prepare')
  } catch (error) {
    tx.abort(abortInfoOf(error, tx))
  }
  if (tx.abortInfo) return { status: 'aborted' }

  try {
    if (hooks.apply.taps.length > 0) await timed(tx, deps, 'apply', ms, () => hooks.apply.promise(tx))
    else untapped(tx, 'apply')
    // An apply tap that called tx.abort() made the rest of apply skip: undo what ran.
    if (tx.stale) throw tx.staleReason
    deps.reserveVersion(tx)
  } catch (error) {
    const info = describeFailure(error, tx)
    tx.cancel(error instanceof Error ? error : new Error(String(error)))
    const started = performance.now()
    await tx.rollBack()
    await hooks.rollback.promise(tx, error instanceof Error ? error : new Error(String(error)))
    tx.stageTimes.apply = round((tx.stageTimes.apply ?? 0) + performance.now() - started)
    return { status: 'rolled-back', error: info }
  }

  deps.commitPoint(tx)
  try {
    if (hooks.commit.taps.length > 0) await timed(tx, deps, 'commit', ms, () => hooks.commit.promise(tx))
    else untapped(tx, 'commit')
  } catch (error) {
    deps.reportError(error, `the commit of version ${tx.version} did not finish`, tx.currentPlugin)
  }
  return { status: 'applied' }
}

/** Runs one stage's hook within its time limit; the timer records how long it took. */
function timed<T>(tx: TransactionContext, deps: LifecycleDeps, stage: StageName, ms: number, work: () => Promise<T>): Promise<T> {
  return deps.timer.run(stage, ms, tx, work)
}

/**
 * A stage no plugin tapped runs nothing: no timer, no promise, no turn of the microtask queue
 * (a save paid for each, issue 11). It is still recorded, as taking no time, so every record
 * of a stage that was reached names it.
 */
function untapped(tx: TransactionContext, stage: StageName): void {
  tx.stageTimes[stage] = 0
}

function abortInfoOf(error: unknown, tx: TransactionContext): AbortInfo {
  const info = toErrorInfo(error, tx.currentPlugin === undefined ? {} : { plugin: tx.currentPlugin })
  const code = info.code === 'HR_STAGE_TIMEOUT' ? 'HR_PREPARE_TIMEOUT' : info.code
  return { code, message: info.message, ...(info.plugin ? { plugin: info.plugin } : {}) }
}

export function summarize(changes: readonly FileChange[]): ChangeSummary[] {
  return changes.map((c) => (c.from === undefined ? { kind: c.kind, path: c.path } : { kind: c.kind, path: c.path, from: c.from }))
}

/** The record of a finished transaction, frozen. */
export function makeRecord(tx: TransactionContext, status: TransactionStatus, version: number, durationMs: number, error?: ErrorInfo): TransactionRecord {
  const pluginStages: Record<string, Readonly<Partial<Record<StageName, number>>>> = {}
  for (const plugin of Object.keys(tx.pluginTimes)) pluginStages[plugin] = Object.freeze({ ...tx.pluginTimes[plugin] })
  const record: { -readonly [K in keyof TransactionRecord]: TransactionRecord[K] } = {
    id: tx.id,
    version,
    runId: tx.runId,
    reason: tx.reason,
    status,
    startedAt: tx.startedAt.toISOString(),
    durationMs: Math.round(durationMs * 100) / 100,
    stages: Object.freeze({ ...tx.stageTimes }),
    pluginStages: Object.freeze(pluginStages),
    changes: Object.freeze(summarize(tx.changes)),
    plugins: Object.freeze([...tx.claimants()]),
    problems: Object.freeze([...tx.problems()]),
  }
  if (error) record.error = error
  if (tx.abortInfo) record.abort = tx.abortInfo
  return Object.freeze(record)
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
