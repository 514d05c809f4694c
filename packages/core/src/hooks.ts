import { AsyncParallelHook, AsyncSeriesHook, AsyncSeriesWaterfallHook } from 'tapable'
import type { FileChange } from './changes.js'
import type { Problem } from './errors.js'
import type { PluginEvent } from './events.js'
import type { AbortInfo, TransactionReason, TransactionRecord } from './record.js'

/**
 * A typed slot for the state one plugin stages in a transaction (validate) and uses later
 * (prepare, apply, commit). Make one per plugin with `createStagingKey<T>(name)`.
 */
export interface StagingKey<T> {
  readonly name: string
  /** Never set: carries the staged type. */
  readonly __type?: T
}

/** Makes a staging key; the name only shows in errors. */
export function createStagingKey<T>(name: string): StagingKey<T> {
  return Object.freeze({ name })
}

/**
 * The transaction a batch of changes runs in, handed to every hook. Plugins claim the changes
 * they own in `detect`, stage new state and report problems in `validate`, may wait for an
 * outside vote in `prepare`, do what can be undone in `apply` (registering its undo first), and
 * make the staged state visible in `commit`. Events emitted are delivered only after commit.
 */
export interface Transaction {
  /** Attempt number, increasing for every transaction of this run including rejected ones. */
  readonly id: number
  /** The version this transaction commits as if it succeeds (the current version + 1). */
  readonly version: number
  /** The id of this process run. */
  readonly runId: string
  readonly reason: TransactionReason
  readonly dryRun: boolean
  /** Every change in the batch, ordered deletes, creates (and renames), modifies. */
  readonly changes: readonly FileChange[]
  /**
   * Aborted once the transaction is stale: a stage ran past its time limit, or a prepare tap
   * aborted it. The kernel runs no further tap then; a tap still running should stop, and its
   * late result is ignored.
   */
  readonly signal: AbortSignal
  /** Marks changes as owned by `plugin`; a change may be claimed by several plugins. */
  claim(plugin: string, change: FileChange): void
  /** The changes `plugin` claimed in detect. */
  claimed(plugin: string): readonly FileChange[]
  /** Every plugin that claimed at least one change. */
  claimants(): readonly string[]
  /** Reports a validation problem; all problems are collected and the transaction is rejected. */
  problem(problem: Problem): void
  /** The problems reported so far. */
  problems(): readonly Problem[]
  /**
   * Reads a changed file's bytes as they were fingerprinted, so every plugin sees the same
   * content the hash describes. Rejects for a deleted file.
   */
  read(change: FileChange): Promise<Buffer>
  /**
   * Stops the transaction from `prepare` (an outside vote said no): it ends `aborted` with this
   * reason and nothing is applied. A string becomes `{ code: 'HR_ABORTED', message }`.
   */
  abort(reason: AbortInfo | string): void
  /**
   * Registers how to undo what `apply` just did. Undo functions run in reverse order of
   * registration when a later apply step fails or times out. One registered by a tap that kept
   * running after its stage timed out runs as soon as that tap settles.
   */
  onRollback(plugin: string, undo: () => void | Promise<void>): void
  /** Queues an event for subscribers; delivered after commit, dropped otherwise. */
  emit(event: PluginEvent): void
  /** Keeps a plugin's staged state under `key` for the later stages of this transaction. */
  stage<T>(key: StagingKey<T>, value: T): void
  /** The state staged under `key`, or undefined. */
  staged<T>(key: StagingKey<T>): T | undefined
}

/**
 * The kernel's lifecycle hooks, declared once. Plugins tap them in `apply(kernel)` with their
 * name; tapable's `stage` (lower runs first) and `before` order taps within a hook. After a
 * stage timed out or the transaction was aborted, the kernel runs no further tap of it.
 */
export interface KernelHooks {
  /**
   * Fires when a batch of changes is ready, before anything is parsed. Each tap receives the
   * changes returned by the previous one and must return the changes to pass on: it may drop or
   * enrich them, and claims the ones it owns with `tx.claim()` (or `kernel.claimFiles()`).
   */
  readonly detect: AsyncSeriesWaterfallHook<[readonly FileChange[], Transaction]>
  /**
   * Fires after detect, before anything changes. A tap parses or compiles the changes it
   * claimed into staged state (`tx.stage()`) and reports every problem with `tx.problem()`;
   * throwing counts as one problem. Any problem rejects the whole batch. It must write nothing
   * anywhere: a dry run stops after this hook.
   */
  readonly validate: AsyncSeriesHook<[Transaction]>
  /**
   * Fires when validate found no problem: a gate before anything is applied. A tap may wait for
   * something outside the process (the votes of other instances) within `prepareTimeoutMs`,
   * and may stop the transaction with `tx.abort()`; throwing or running out of time aborts too.
   */
  readonly prepare: AsyncSeriesHook<[Transaction]>
  /**
   * Fires when prepare did not abort. A tap does what can be undone (writes staged files, backs
   * up) and registers how to undo it with `tx.onRollback()` *before* anything that may throw.
   * Readers must not see any of it yet. A throw or a timeout rolls every registered undo back.
   */
  readonly apply: AsyncSeriesHook<[Transaction]>
  /**
   * Fires after the undo functions of a failed apply have run, with the error that caused it.
   * For observers, and for plugins that keep state outside `tx.onRollback()`.
   */
  readonly rollback: AsyncSeriesHook<[Transaction, Error]>
  /**
   * Fires once every apply tap succeeded and the version is taken: each plugin makes its staged
   * state visible to readers (swap a map, rename a staged file into place). It cannot fail the
   * transaction: a throw is reported as an `error` event and the other taps still run.
   */
  readonly commit: AsyncSeriesHook<[Transaction]>
  /**
   * Fires after every transaction (applied, rejected, aborted, rolled back or dry run) with its
   * record, once its events were delivered. Taps run in parallel within `notifyTimeoutMs`; the
   * next transaction and `close()` never wait for them, and a throw or a hang is an `error` event.
   */
  readonly notify: AsyncParallelHook<[TransactionRecord]>
}

/** Makes the frozen hooks object a kernel owns. */
export function createHooks(): KernelHooks {
  return Object.freeze({
    detect: new AsyncSeriesWaterfallHook<[readonly FileChange[], Transaction]>(['changes', 'tx']),
    validate: new AsyncSeriesHook<[Transaction]>(['tx']),
    prepare: new AsyncSeriesHook<[Transaction]>(['tx']),
    apply: new AsyncSeriesHook<[Transaction]>(['tx']),
    rollback: new AsyncSeriesHook<[Transaction, Error]>(['tx', 'error']),
    commit: new AsyncSeriesHook<[Transaction]>(['tx']),
    notify: new AsyncParallelHook<[TransactionRecord]>(['record']),
  })
}
