import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createAuditWriter, DEFAULT_AUDIT_OPTIONS, type AuditOptions, type AuditWriter } from './audit.js'
import { HotReloadError } from './errors.js'
import type { KernelHooks } from './hooks.js'
import { createMetrics, type ReloadMetrics } from './metrics.js'
import type { Logger } from './logger.js'
import type { Status } from './plugin.js'
import type { TransactionRecord } from './record.js'
import type { ResolvedOptions } from './settings.js'

/**
 * Where every finished transaction record goes besides `history()`: the audit trail and the
 * metrics. The kernel makes one of these and calls `record` once per record, whatever its status.
 */
export interface Observability {
  record(record: TransactionRecord): void
  /** `reloader.metrics()`. */
  metrics(): Promise<string>
  /** Writes what is queued and closes the trail. Idempotent. */
  close(): Promise<void>
}

export interface ObservabilityDeps {
  readonly options: ResolvedOptions
  /** The `audit` option as given: `false` turns the trail off; default on. */
  readonly audit: boolean | AuditOptions | undefined
  readonly log: Logger
  readonly status: () => Status
  /** The kernel's hooks: notify runs after the record is made, so it is timed on the hook. */
  readonly hooks: KernelHooks
  reportError(error: unknown, context: string): void
}

/**
 * A dry-run session (`--dry-run`, `hotreload check`, a read-only plugin command) writes nothing,
 * so it has no trail at all; a single `reload({ dryRun: true })` on an applying instance is a
 * question someone asked of it and is recorded with status `dry-run`.
 */
export function createObservability(deps: ObservabilityDeps): Observability {
  const metrics = createMetrics({ status: deps.status })
  timeNotify(deps.hooks, metrics)
  const dir = deps.options.stateDir
  const writer: AuditWriter | undefined =
    deps.audit === false || deps.options.dryRun
      ? undefined
      : createAuditWriter({
          dir,
          ...DEFAULT_AUDIT_OPTIONS,
          ...(typeof deps.audit === 'object' ? deps.audit : {}),
          onWarning: (message) => deps.log.warn(message),
          onError: (cause) =>
            deps.reportError(
              new HotReloadError('HR_AUDIT_WRITE', `${cause instanceof Error ? cause.message : String(cause)}; these transactions are missing from the trail`, {
                path: join(dir, 'audit.jsonl'),
                hint: `Check the free space and permissions of ${dir}, or turn the trail off with audit: false.`,
                cause,
              }),
              'the audit trail could not be written',
            ),
        })
  return {
    record(record) {
      metrics.observe(record)
      writer?.append(record)
    },
    metrics: () => metrics.text(),
    close: async () => {
      await writer?.close()
    },
  }
}

/**
 * Times the notify stage per tap and whole: from its call to the last tap settling. The kernel
 * never awaits notify, so the notifies of two transactions may overlap; each call is told apart
 * by its record. Taps are timed as the kernel's guard left them (promise taps that always
 * settle, at the latest at `notifyTimeoutMs`).
 */
function timeNotify(hooks: KernelHooks, metrics: ReloadMetrics): void {
  const running = new WeakMap<TransactionRecord, { readonly start: number; left: number }>()
  const settled = (record: TransactionRecord, plugin: string, start: number) => {
    const now = performance.now()
    metrics.observeStage('notify', now - start, plugin)
    const call = running.get(record)
    if (call && --call.left === 0) {
      running.delete(record)
      metrics.observeStage('notify', now - call.start)
    }
  }
  hooks.notify.intercept({
    call: (record) => {
      if (hooks.notify.taps.length > 0) running.set(record, { start: performance.now(), left: hooks.notify.taps.length })
    },
    register: (tap) => {
      if (tap.type !== 'promise') return tap
      const fn = tap.fn as (record: TransactionRecord) => Promise<void>
      return {
        ...tap,
        fn: (record: TransactionRecord) => {
          const start = performance.now()
          return fn(record).finally(() => settled(record, tap.name, start))
        },
      }
    },
  })
}
