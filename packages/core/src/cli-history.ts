import { parseArgs } from 'node:util'
import { readAudit } from './audit.js'
import { formatLocated } from './errors.js'
import { resolveOptions } from './options.js'
import { redactSecrets } from './redact.js'
import type { HotReloadOptions } from './options.js'
import type { TransactionRecord, TransactionStatus } from './record.js'

const STATUSES: readonly string[] = ['applied', 'rejected', 'rolled-back', 'aborted', 'dry-run', 'unchanged']

export const HISTORY_USAGE = `Usage: hotreload history [options]

Reads the audit trail (.hotreload/audit.jsonl and its rotated files), newest first. Starts no
watcher and applies nothing, so it works while another process is watching.

Options:
  --since <time>    only transactions since an ISO time (2026-12-01T14:00Z) or a span ago (90s, 15m, 2h, 7d)
  --path <glob>     only transactions touching a matching path (picomatch; may repeat)
  --status <s>      only these statuses, comma-separated: ${STATUSES.join(', ')}
  --limit <n>       at most n transactions
  --json            one record per line, as written to the trail`


interface HistoryContext {
  /** The loaded config: the trail is in its state directory. */
  readonly options: HotReloadOptions
  readonly json: boolean
  print(line: string): void
  printError(line: string): void
}

/** `hotreload history`: resolves with the exit code (0, or 2 for a usage error). */
export async function runHistory(args: readonly string[], context: HistoryContext): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        since: { type: 'string' },
        path: { type: 'string', multiple: true },
        status: { type: 'string', multiple: true },
        limit: { type: 'string' },
      },
    }).values
  } catch (error) {
    return usage(context, error instanceof Error ? error.message : String(error))
  }
  const since = values.since === undefined ? undefined : parseSince(values.since)
  if (since === null) return usage(context, `--since "${values.since}" is neither an ISO time nor a span such as 15m, 2h or 7d`)
  const wanted = (values.status ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)
  const unknown = wanted.find((s) => !STATUSES.includes(s))
  if (unknown !== undefined) return usage(context, `--status "${unknown}" is not a status; use one of ${STATUSES.join(', ')}`)
  const limit = values.limit === undefined ? undefined : Number(values.limit)
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) return usage(context, `--limit "${values.limit}" must be a positive whole number`)

  let dir: string
  try {
    dir = resolveOptions(context.options, 'hotreload.config').resolved.stateDir
  } catch (error) {
    context.printError(`hotreload history: ${redactSecrets(error instanceof Error ? error.message : String(error))}`)
    return 2
  }
  const { records, warnings } = await readAudit(dir, {
    ...(since ? { since } : {}),
    ...(values.path ? { paths: values.path } : {}),
    ...(wanted.length > 0 ? { statuses: wanted as TransactionStatus[] } : {}),
    ...(limit !== undefined ? { limit } : {}),
  })
  for (const warning of warnings) context.printError(`hotreload history: warning: ${warning}`)
  for (const record of records) context.print(context.json ? JSON.stringify(record) : describe(record))
  return 0
}

function usage(context: HistoryContext, message: string): number {
  context.printError(`hotreload history: ${message}\n\n${HISTORY_USAGE}`)
  return 2
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** An absolute time, `now - span` for a span, or null when it is neither. */
function parseSince(text: string): Date | null {
  const span = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(text.trim())
  if (span) return new Date(Date.now() - Number(span[1]) * (UNITS[span[2] ?? 's'] ?? 1000))
  // Only something that starts like a date: Date.parse alone takes "5" as the year 2001.
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return null
  const time = Date.parse(text)
  return Number.isNaN(time) ? null : new Date(time)
}

/** One line per transaction; a rejected one ends with its problems as `file:line:col: message`. */
function describe(r: TransactionRecord): string {
  const changes = r.changes.map((c) => (c.from ? `${c.from} → ${c.path}` : c.kind === 'modified' ? c.path : `${c.path} (${c.kind})`)).join(', ') || '-'
  // The run id tells restarts apart: ids count from 1 in every run, versions go on.
  const head = `${r.startedAt} ${String(r.runId ?? '-').slice(0, 8)} #${r.id} v${r.version} ${r.status.padEnd(11)} ${r.reason.padEnd(7)} ${changes} (${Math.round(r.durationMs)} ms)`
  let detail = ''
  if (r.problems.length > 0) detail = `: ${r.problems.map((p) => `${formatLocated({ ...p, hint: undefined })} [${p.plugin}]`).join('; ')}`
  else if (r.error) detail = `: ${formatLocated({ ...r.error, hint: undefined })}`
  else if (r.abort) detail = `: ${r.abort.code} ${r.abort.message}${r.abort.plugin ? ` [${r.abort.plugin}]` : ''}`
  // A message spanning lines (a code frame) would break the one-line-per-transaction shape.
  return `${head}${detail}`.replace(/\s*\n\s*/g, ' ')
}
