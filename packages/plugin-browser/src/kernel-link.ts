// Every contact between this plugin and the kernel goes through here, so a change of the
// kernel's API is a change of this file only.
import { EVENT_TYPES, type ErrorInfo, type FileChange, type HotReloadEvent, type Kernel, type Logger, type ReloadOptions, type Status, type TransactionRecord } from '@hotreload/core'

/** A transaction that ended, with what it delivered. */
export interface EndedTransaction {
  readonly record: TransactionRecord
  /** The plugin events it committed, as delivered to listeners (empty unless applied). */
  readonly events: readonly HotReloadEvent[]
  /** The batch's changes with their fingerprints, as detect saw them last. */
  readonly changes: readonly FileChange[]
}

/** What the plugin uses of the kernel. */
export interface KernelLink {
  /** Random per process start; with `version` it names a state of the instance. */
  readonly runId: string
  readonly log: Logger
  version(): number
  status(): Status
  reload(options?: ReloadOptions): Promise<TransactionRecord>
  /** Calls `listener` after every transaction that ran (not for `unchanged`). Returns its removal. */
  onTransaction(listener: (ended: EndedTransaction) => void): () => void
  /** Calls `listener` for every `error` event. Returns its removal. */
  onError(listener: (error: ErrorInfo, paths: readonly string[]) => void): () => void
  /** Calls `listener` when the files of a failed batch are put back to the applied bytes. Returns its removal. */
  onResolved(listener: (paths: readonly string[]) => void): () => void
  /** The instance's metrics, Prometheus text format. */
  metrics(): Promise<string>
  onClose(fn: () => void | Promise<void>): () => void
}

const CORE_EVENTS: ReadonlySet<string> = new Set(EVENT_TYPES)

/**
 * Taps the kernel for `plugin`: committed events from `kernel.on('*')` (plugin events are
 * delivered before their transaction's `applied`, and held here until its record arrives in
 * notify), records from the notify hook, the batch's fingerprints from the last detect tap.
 */
export function linkKernel(kernel: Kernel, plugin: string): KernelLink {
  const transactionListeners = new Set<(ended: EndedTransaction) => void>()
  const errorListeners = new Set<(error: ErrorInfo, paths: readonly string[]) => void>()
  const changes = new Map<number, readonly FileChange[]>()
  let delivered: HotReloadEvent[] = []

  // The last detect tap: it sees the changes every other plugin passed on.
  kernel.hooks.detect.tap({ name: plugin, stage: 1_000 }, (batch, tx) => {
    changes.set(tx.id, batch)
    return batch
  })

  const off = kernel.on('*', (event) => {
    if (event.type === 'error') for (const listener of [...errorListeners]) listener(event.error, event.paths)
    else if (!CORE_EVENTS.has(event.type)) delivered.push(event)
  })
  kernel.onClose(off)

  kernel.hooks.notify.tap(plugin, (record) => {
    const batch = changes.get(record.id) ?? []
    changes.delete(record.id)
    if (record.status === 'dry-run') return
    const events = record.status === 'applied' ? delivered.filter((e) => e.version === record.version) : []
    delivered = delivered.filter((e) => e.version > record.version)
    const ended: EndedTransaction = { record, events, changes: batch }
    for (const listener of [...transactionListeners]) listener(ended)
  })

  return {
    runId: kernel.runId,
    log: kernel.log,
    version: () => kernel.version(),
    status: () => kernel.status(),
    reload: (options) => kernel.reload(options),
    onTransaction(listener) {
      transactionListeners.add(listener)
      return () => void transactionListeners.delete(listener)
    },
    onError(listener) {
      errorListeners.add(listener)
      return () => void errorListeners.delete(listener)
    },
    onResolved: (listener) => kernel.on('resolved', (event) => listener(event.paths)),
    metrics: () => kernel.metrics(),
    onClose: (fn) => kernel.onClose(fn),
  }
}
