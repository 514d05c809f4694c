// Every contact between this plugin and the kernel goes through here, so the kernel's API can
// move (issue 10: `kernel.on`, `kernel.runId`, `kernel.status()`) with a change to this file only.
import { randomUUID } from 'node:crypto'
import type { ErrorInfo, FileChange, HotReloadEvent, Kernel, Logger, ReloadOptions, Transaction, TransactionRecord } from '@hotreload/core'

/** A transaction that ended, with what it delivered. */
export interface EndedTransaction {
  readonly record: TransactionRecord
  /** The plugin events it committed, stamped with its version (empty unless applied). */
  readonly events: readonly HotReloadEvent[]
  /** The batch's changes with their fingerprints, as detect saw them last. */
  readonly changes: readonly FileChange[]
}

/** The instance's state as the status endpoint reports it (before redaction). */
export interface LinkStatus {
  readonly runId: string
  readonly version: number
  readonly watching: boolean
  readonly busy: boolean
  readonly pending: readonly string[]
  readonly last: TransactionRecord | undefined
  readonly counters: Readonly<Record<string, number>>
  readonly plugins: readonly string[]
}

/** What the plugin uses of the kernel. */
export interface KernelLink {
  /** Random per process start; with `version` it names a state of the instance. */
  readonly runId: string
  readonly log: Logger
  version(): number
  status(): LinkStatus
  reload(options?: ReloadOptions): Promise<TransactionRecord>
  /** Calls `listener` after every transaction that ran (not for `unchanged`). Returns its removal. */
  onTransaction(listener: (ended: EndedTransaction) => void): () => void
  /** Calls `listener` for every `error` event outside a transaction's outcome. Returns its removal. */
  onError(listener: (error: ErrorInfo, paths: readonly string[]) => void): () => void
  onClose(fn: () => void | Promise<void>): () => void
}

/**
 * Taps the kernel for `plugin`. Today's kernel (before issue 10) has no `on`, `runId` or
 * `status()`: the run id is made here, the outcome of each transaction comes from the notify
 * hook, its plugin events from the transaction object captured in detect, and the counters
 * are counted from the records.
 */
export function linkKernel(kernel: Kernel, plugin: string): KernelLink {
  const runId = randomUUID()
  const transactionListeners = new Set<(ended: EndedTransaction) => void>()
  const errorListeners = new Set<(error: ErrorInfo, paths: readonly string[]) => void>()
  const open = new Map<number, Transaction>()
  const counters = { transactions: 0, applied: 0, rejected: 0, rolledBack: 0 }
  const plugins = new Set<string>()
  let last: TransactionRecord | undefined
  let busy = false

  // The last detect tap: it sees the changes every other plugin passed on.
  kernel.hooks.detect.tap({ name: plugin, stage: 1_000 }, (changes, tx) => {
    busy = true
    open.set(tx.id, tx)
    return changes
  })

  kernel.hooks.notify.tap(plugin, (record) => {
    busy = false
    const tx = open.get(record.id)
    open.delete(record.id)
    if (record.status === 'dry-run') return
    counters.transactions++
    if (record.status === 'applied') counters.applied++
    if (record.status === 'rejected') counters.rejected++
    if (record.status === 'rolled-back') counters.rolledBack++
    for (const name of record.plugins) plugins.add(name)
    last = record
    // Today's kernel queues plugin events on the transaction (`events`, not part of the
    // Transaction interface) and stamps them on delivery; the stamp is the committed version.
    const queued = record.status === 'applied' ? ((tx as unknown as { events?: readonly object[] } | undefined)?.events ?? []) : []
    const time = new Date().toISOString()
    const events = queued.map((e) => ({ ...e, version: record.version, time }) as unknown as HotReloadEvent)
    const ended: EndedTransaction = { record, events, changes: tx?.changes ?? [] }
    for (const listener of [...transactionListeners]) listener(ended)
  })

  return {
    runId,
    log: kernel.log,
    version: () => kernel.version(),
    status: () => ({
      runId,
      version: kernel.version(),
      watching: kernel.options.watch,
      busy,
      pending: [],
      last,
      counters: { ...counters },
      plugins: [...plugins].sort(),
    }),
    reload: (options) => kernel.reload(options),
    onTransaction(listener) {
      transactionListeners.add(listener)
      return () => void transactionListeners.delete(listener)
    },
    onError(listener) {
      errorListeners.add(listener)
      return () => void errorListeners.delete(listener)
    },
    onClose: (fn) => kernel.onClose(fn),
  }
}
