import { AsyncParallelHook, AsyncSeriesHook, AsyncSeriesWaterfallHook } from 'tapable'
import type { FileChange, Transaction, TransactionRecord } from './types.js'

/**
 * The kernel's lifecycle hooks, declared once. Plugins tap them in `apply(kernel)` with their
 * name; tapable's `stage` (lower runs first) and `before` order taps within a hook.
 */
export interface KernelHooks {
  /**
   * Fires when a debounced batch is ready, before anything is read or parsed. Each tap receives
   * the changes returned by the previous one and must return the changes to pass on: it may
   * drop or enrich them, and claims the ones it owns with `tx.claim()`.
   */
  readonly detect: AsyncSeriesWaterfallHook<[readonly FileChange[], Transaction]>
  /**
   * Fires after detect, before anything changes. A tap parses or compiles the changes it
   * claimed into staged state (`tx.staged`) and reports every problem with `tx.problem()`;
   * throwing counts as one problem. Any problem rejects the whole batch and nothing is applied.
   * In a dry run the transaction stops after this hook.
   */
  readonly validate: AsyncSeriesHook<[Transaction]>
  /**
   * Fires when validate found no problem. A tap swaps its staged state in and registers how
   * to undo that with `tx.onRollback()` *before* anything that may throw. If a tap throws or
   * runs past the stage time limit, every registered undo runs in reverse order.
   */
  readonly apply: AsyncSeriesHook<[Transaction]>
  /**
   * Fires after the undo functions of a failed apply have run, with the error that caused it.
   * For plugins that keep state outside `tx.onRollback()`, and for observers.
   */
  readonly rollback: AsyncSeriesHook<[Transaction, Error]>
  /**
   * Fires after every transaction, committed, rejected, rolled back or dry-run, with its
   * record. Taps run in parallel; an error here is reported as an `error` event and never
   * changes the outcome.
   */
  readonly notify: AsyncParallelHook<[TransactionRecord]>
}

/** Makes the frozen hooks object a kernel owns. */
export function createHooks(): KernelHooks {
  return Object.freeze({
    detect: new AsyncSeriesWaterfallHook<[readonly FileChange[], Transaction]>(['changes', 'tx']),
    validate: new AsyncSeriesHook<[Transaction]>(['tx']),
    apply: new AsyncSeriesHook<[Transaction]>(['tx']),
    rollback: new AsyncSeriesHook<[Transaction, Error]>(['tx', 'error']),
    notify: new AsyncParallelHook<[TransactionRecord]>(['record']),
  })
}
