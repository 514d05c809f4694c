// The kernel-v2 seams the fleet plugin drives (issue 10: change source, prepare gate, `aborted`,
// run id), gathered in one place so the rest of the plugin speaks in the fleet's terms.
import type { ChangeSource, Kernel, Problem, Transaction, TransactionRecord } from '@hotreload/core'

export type { ChangeSource, Reconciled } from '@hotreload/core'
export type Tx = Transaction
export type TxRecord = TransactionRecord

/** The kernel as the fleet plugin drives it. */
export interface FleetKernel {
  readonly root: string
  readonly runId: string
  readonly dryRun: boolean
  readonly prepareTimeoutMs: number
  useChangeSource(source: ChangeSource): void
  /** Taps validate (capturing what a dry run would publish), late, after the plugins that stage. */
  onValidate(fn: (tx: Tx) => Promise<void>): void
  onPrepare(fn: (tx: Tx) => Promise<void>): void
  reloadFleet(paths: readonly string[]): Promise<TxRecord>
  /** The record of the last transaction that ran, if any. */
  lastRecord(): TxRecord | undefined
  emit: Kernel['emit']
  onReady(fn: () => void): () => void
  onClose(fn: () => void | Promise<void>): () => void
  log: Kernel['log']
}

const PLUGIN = 'fleet'

/** Wraps the kernel handed to `apply`. */
export function adaptKernel(kernel: Kernel): FleetKernel {
  return {
    root: kernel.root,
    runId: kernel.runId,
    dryRun: kernel.options.dryRun,
    prepareTimeoutMs: kernel.options.prepareTimeoutMs,
    useChangeSource: (source) => kernel.useChangeSource(source),
    onValidate: (fn) => kernel.hooks.validate.tapPromise({ name: PLUGIN, stage: 100 }, fn),
    onPrepare: (fn) => kernel.hooks.prepare.tapPromise({ name: PLUGIN }, fn),
    reloadFleet: (paths) => kernel.reload({ paths, reason: 'fleet' }),
    lastRecord: () => kernel.status().last,
    emit: (event) => kernel.emit(event),
    onReady: (fn) => kernel.on('ready', () => fn()),
    onClose: (fn) => kernel.onClose(fn),
    log: kernel.log,
  }
}

/** Problems as plain data for a vote (they travel as JSON). */
export function plainProblems(problems: readonly Problem[]): Problem[] {
  return problems.map((p) => ({ ...p }))
}

/** Whether a transaction was started by the fleet plugin (`reload({ reason: 'fleet' })`). */
export function isFleetTx(tx: Transaction): boolean {
  return tx.reason === 'fleet'
}
