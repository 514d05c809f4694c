// The kernel-v2 surface the fleet plugin uses (issue 10: change source, prepare gate, `aborted`,
// run id). Until core ships it, the shapes are declared here and checked at run time, so the
// switch to core's own types is this one file.
import type { FileChange, Kernel, Problem, Transaction, TransactionRecord } from '@hotreload/core'
import { FleetError } from './errors.js'

/** Why a prepare tap stopped a transaction (core's `AbortInfo`). */
export interface AbortInfo {
  readonly code: string
  readonly message: string
  readonly plugin?: string
  readonly details?: unknown
}

/** What a change source's `reconcile` returns (core's `Reconciled`). */
export interface Reconciled {
  readonly changes: readonly FileChange[]
  readonly noops: readonly string[]
  readonly unreadable: readonly { readonly path: string; readonly error: Error }[]
}

/** Core's `ChangeSource`: where a transaction's changes and bytes come from. */
export interface ChangeSource {
  readonly name: string
  scan(): Promise<readonly string[]>
  reconcile(paths: Iterable<string>, options?: { readonly force?: Iterable<string> }): Promise<Reconciled>
  read(change: FileChange): Promise<Buffer>
  commit(changes: readonly FileChange[]): void
  release(): void
  size(): number
  watch?(onDirty: (paths: readonly string[]) => void, onError: (error: Error) => void): Promise<{ close(): Promise<void> }>
}

/** A transaction as prepare sees it (core's v2 `Transaction`). */
export interface Tx extends Transaction {
  readonly runId: string
  abort(reason: AbortInfo | string): void
}

/** A record with the v2 fields the plugin reads. */
export type TxRecord = TransactionRecord & { readonly runId?: string; readonly abort?: AbortInfo; readonly status: TransactionRecord['status'] | 'aborted' }

interface PrepareHook {
  tapPromise(options: { name: string; stage?: number }, fn: (tx: Tx) => Promise<void>): void
}

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

/** Wraps the kernel handed to `apply`; throws a clear error on a core without kernel v2. */
export function adaptKernel(kernel: Kernel): FleetKernel {
  const k = kernel as Kernel & {
    runId?: string
    useChangeSource?: (source: ChangeSource) => void
    on?: (type: string, fn: (event: unknown) => void) => () => void
    status?: () => { last?: TransactionRecord }
    hooks: Kernel['hooks'] & { prepare?: PrepareHook }
    options: Kernel['options'] & { prepareTimeoutMs?: number }
  }
  const prepare = k.hooks.prepare
  const useChangeSource = k.useChangeSource
  const on = k.on
  if (!prepare || !useChangeSource || !on || !k.status || k.runId === undefined) {
    throw new FleetError('HR_FLEET_KERNEL', 'the fleet plugin needs a @hotreload/core with the prepare gate and change sources (kernel v2)', {
      hint: 'Upgrade @hotreload/core to a version that has kernel.useChangeSource() and hooks.prepare.',
    })
  }
  return {
    root: k.root,
    runId: k.runId,
    dryRun: k.options.dryRun,
    prepareTimeoutMs: k.options.prepareTimeoutMs ?? 30_000,
    useChangeSource: (source) => useChangeSource.call(k, source),
    onValidate: (fn) => k.hooks.validate.tapPromise({ name: PLUGIN, stage: 100 }, (tx) => fn(tx as Tx)),
    onPrepare: (fn) => prepare.tapPromise({ name: PLUGIN }, fn),
    reloadFleet: (paths) => k.reload({ paths, reason: 'fleet' } as Parameters<Kernel['reload']>[0]) as Promise<TxRecord>,
    lastRecord: () => k.status?.().last as TxRecord | undefined,
    emit: (event) => k.emit(event),
    onReady: (fn) => on.call(k, 'ready', () => fn()),
    onClose: (fn) => k.onClose(fn),
    log: k.log,
  }
}

/** Problems as plain data for a vote (they travel as JSON). */
export function plainProblems(problems: readonly Problem[]): Problem[] {
  return problems.map((p) => ({ ...p }))
}

/** Whether a transaction was started by the fleet plugin (`reload({ reason: 'fleet' })`). */
export function isFleetTx(tx: Transaction): boolean {
  return (tx.reason as string) === 'fleet'
}
