import type { ChangeSummary } from './changes.js'
import type { ErrorInfo, Problem } from './errors.js'

/**
 * Why a transaction ran. `initial` is the load at start, `watch` a batch from the change source,
 * `manual` a `reload()`, `restore` a backup written back, `fleet` a proposal of other instances.
 */
export type TransactionReason = 'initial' | 'watch' | 'manual' | 'restore' | 'fleet'

/** The stages of a transaction, in order. */
export const STAGES = Object.freeze(['detect', 'validate', 'prepare', 'apply', 'commit', 'notify'] as const)
/** One of `STAGES`: a step of the transaction lifecycle, as named in records and timings. */
export type StageName = (typeof STAGES)[number]

/**
 * How a transaction ended. `rejected`: validate found problems; `aborted`: a prepare tap (an
 * outside vote) stopped it; `rolled-back`: apply failed and was undone; `dry-run`: validate only.
 * In all four nothing a reader sees changed. `unchanged`: every path matched the applied state
 * (same bytes, a touch), so nothing ran and no version was used.
 */
export type TransactionStatus = 'applied' | 'rejected' | 'rolled-back' | 'aborted' | 'dry-run' | 'unchanged'

/** Why a prepare tap stopped a transaction. */
export interface AbortInfo {
  readonly code: string
  readonly message: string
  readonly plugin?: string
  /** Plain data a plugin attaches, e.g. which instances voted no and their problems. */
  readonly details?: unknown
}

/** One entry of the audit trail kept by `history()`. */
export interface TransactionRecord {
  readonly id: number
  /** The committed version after this transaction (unchanged unless `applied`). */
  readonly version: number
  /** The id of the process run that ran it; versions are unique per root across runs. */
  readonly runId: string
  readonly reason: TransactionReason
  readonly status: TransactionStatus
  readonly startedAt: string
  readonly durationMs: number
  /** Milliseconds spent in each stage that ran (notify runs after the record is made). */
  readonly stages: Readonly<Partial<Record<StageName, number>>>
  /** Milliseconds each plugin's taps took, per stage. */
  readonly pluginStages: Readonly<Record<string, Readonly<Partial<Record<StageName, number>>>>>
  readonly changes: readonly ChangeSummary[]
  readonly plugins: readonly string[]
  readonly problems: readonly Problem[]
  readonly error?: ErrorInfo
  readonly abort?: AbortInfo
}
