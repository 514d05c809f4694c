import { join } from 'node:path'
import { createAuditWriter, DEFAULT_AUDIT_OPTIONS, type AuditOptions, type AuditWriter } from './audit.js'
import { HotReloadError } from './errors.js'
import { createMetrics } from './metrics.js'
import type { Logger, ResolvedOptions, Status, TransactionRecord } from './types.js'

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
  reportError(error: unknown, context: string): void
}

/** The directory of the trail: the framework's state directory under the root. */
export function stateDirOf(options: ResolvedOptions): string {
  // Kernel v2 resolves `stateDir` (absolute); before it, the fixed `.hotreload`.
  return (options as { stateDir?: string }).stateDir ?? join(options.root, '.hotreload')
}

/**
 * A dry-run session (`--dry-run`, `hotreload check`, a read-only plugin command) writes nothing,
 * so it has no trail at all; a single `reload({ dryRun: true })` on an applying instance is a
 * question someone asked of it and is recorded with status `dry-run`.
 */
export function createObservability(deps: ObservabilityDeps): Observability {
  const metrics = createMetrics({ status: deps.status })
  const dir = stateDirOf(deps.options)
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
