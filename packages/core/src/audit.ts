import { chmodSync, closeSync, fchmodSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import picomatch from 'picomatch'
import { redactValue } from './redact.js'
import type { TransactionRecord, TransactionStatus } from './record.js'

/**
 * The persistent audit trail: every finished transaction as one JSON line in
 * `<stateDir>/audit.jsonl`, rotated to `audit.1.jsonl`, `audit.2.jsonl`... at a size cap.
 * The writer is off the transaction's path (the line is built and written after the
 * transaction resolved); the reader serves `hotreload history` without starting an instance.
 */

/** Size cap of the trail. The defaults keep about 10 MiB: 5 files of at most 2 MiB. */
export interface AuditOptions {
  /** A file is rotated before a line would take it past this many bytes. Default 2 MiB. */
  maxFileBytes?: number
  /** Files kept, the current one included; the oldest is deleted at rotation. Default 5. */
  maxFiles?: number
}

export const DEFAULT_AUDIT_OPTIONS: Readonly<Required<AuditOptions>> = Object.freeze({ maxFileBytes: 2 * 1024 * 1024, maxFiles: 5 })

/** The current file of the trail, inside the state directory. */
export const AUDIT_FILE = 'audit.jsonl'

/** `audit.jsonl` for 0 (the current file), `audit.N.jsonl` for the N-th older one. */
function fileName(index: number): string {
  return index === 0 ? AUDIT_FILE : `audit.${index}.jsonl`
}

/** Appends records to the trail. Internal: the kernel owns one per instance. */
export interface AuditWriter {
  /** Queues the record; it is redacted and written right after the caller's turn, never in it. */
  append(record: TransactionRecord): void
  /** Writes every queued record now (a failure is reported, not thrown). */
  flush(): Promise<void>
  /** Flushes and closes the file. Idempotent; later appends are dropped. */
  close(): Promise<void>
}

export interface AuditWriterOptions extends Required<AuditOptions> {
  /** Absolute state directory, created 0700. */
  readonly dir: string
  /** A write failed: the trail misses these records, the transactions are unaffected. */
  onError(error: unknown): void
  /** Something the reader of the trail should know (a partial line found at open). */
  onWarning(message: string): void
}

// Enough to batch a burst of transactions into one write, few enough to bound the memory the
// queue holds (a record's size grows with its changes and problems).
const MAX_QUEUED_RECORDS = 64
const MAX_QUEUED_ENTRIES = 10_000

/**
 * Opens nothing yet: the directory and file are created at the first append. The queued records
 * are written in a `setImmediate` after the transaction resolved, with synchronous calls: one
 * `writeSync` of a line costs about 8 µs of CPU where a `FileHandle.write` costs about 55 µs
 * (a promise and a thread-pool round trip; bench/observability.ts), and a line goes to the page
 * cache, so it does not wait for the disk. No fsync: a process crash keeps every line written,
 * a power loss may cost the last ones.
 */
export function createAuditWriter(options: AuditWriterOptions): AuditWriter {
  const { dir, maxFileBytes, maxFiles } = options
  const path = join(dir, AUDIT_FILE)
  let queue: TransactionRecord[] = []
  let queuedEntries = 0
  let scheduled: NodeJS.Immediate | undefined
  let fd: number | undefined
  let size = 0
  // The file ends in a partial line (a crash in the middle of a write): the next write starts
  // with a newline, so the fragment stays a damaged line of its own and the record stays whole.
  let torn = false
  let failing = false
  let closed = false

  function openFile(): number {
    if (fd !== undefined) return fd
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    // The directory may predate us (a backup plugin's): the trail's directory is not for others.
    if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700)
    // a+: appends always go to the end (O_APPEND), and the last byte can be read back.
    const opened = openSync(path, 'a+', 0o600)
    try {
      const st = fstatSync(opened)
      if ((st.mode & 0o777) !== 0o600) fchmodSync(opened, 0o600)
      size = st.size
      torn = false
      if (size > 0) {
        const last = Buffer.alloc(1)
        torn = readSync(opened, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a
        if (torn) options.onWarning(`${path} ends in a partial line (a crash during a write?); it is skipped when read and the next record starts on a new line`)
      }
    } catch (error) {
      closeSync(opened)
      throw error
    }
    fd = opened
    return opened
  }

  function closeFile(): void {
    if (fd === undefined) return
    const open = fd
    fd = undefined
    closeSync(open)
  }

  function rotate(): void {
    closeFile()
    if (maxFiles <= 1) {
      rmSync(path, { force: true })
      return
    }
    rmSync(join(dir, fileName(maxFiles - 1)), { force: true })
    for (let i = maxFiles - 2; i >= 0; i--) {
      try {
        renameSync(join(dir, fileName(i)), join(dir, fileName(i + 1)))
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
    }
  }

  function writeAll(target: number, text: string): void {
    const bytes = Buffer.from(text, 'utf8')
    let offset = 0
    while (offset < bytes.length) offset += writeSync(target, bytes, offset, bytes.length - offset)
    size += bytes.length
  }

  function write(batch: readonly TransactionRecord[]): void {
    let target = openFile()
    let chunk = torn ? '\n' : ''
    let chunkBytes = chunk.length
    for (const record of batch) {
      const line = `${JSON.stringify(redactValue(record))}\n`
      const bytes = Buffer.byteLength(line)
      if (size + chunkBytes > 0 && size + chunkBytes + bytes > maxFileBytes) {
        if (chunk) writeAll(target, chunk)
        rotate()
        target = openFile()
        chunk = ''
        chunkBytes = 0
      }
      chunk += line
      chunkBytes += bytes
    }
    // One write per chunk: a kill can tear only the last line of it, never interleave two.
    if (chunk) writeAll(target, chunk)
    torn = false
  }

  function drain(): void {
    scheduled = undefined
    const batch = queue
    queue = []
    queuedEntries = 0
    if (batch.length === 0) return
    try {
      write(batch)
      failing = false
    } catch (error) {
      try {
        closeFile()
      } catch {
        // The descriptor is gone with the failure; the next append opens a new one.
      }
      // One report per outage, not one per transaction while the disk stays full.
      if (!failing) options.onError(error)
      failing = true
    }
  }

  const flushNow = () => {
    if (scheduled) clearImmediate(scheduled)
    drain()
  }

  return {
    append(record) {
      if (closed) return
      queue.push(record)
      // Transactions that never yield to the event loop (reloads in a loop whose reads are all
      // synchronous) would starve the immediate and grow the queue without bound: past a batch,
      // the records are written now.
      queuedEntries += 1 + record.changes.length + record.problems.length
      // One record alone is never written at once, however large (an initial load of 10,000
      // files): it is in memory anyway, and writing it is not the caller's time.
      if (queue.length >= MAX_QUEUED_RECORDS || (queue.length > 1 && queuedEntries >= MAX_QUEUED_ENTRIES)) flushNow()
      else scheduled ??= setImmediate(drain)
    },
    flush: async () => flushNow(),
    close: async () => {
      if (closed) return
      closed = true
      flushNow()
      closeFile()
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Which records `readAudit` returns. Every filter given must hold. */
export interface AuditQuery {
  /** Only records that started at or after this time. */
  readonly since?: Date
  /** picomatch globs: only records with a change (or a problem) on a matching path. */
  readonly paths?: readonly string[]
  /** Only records with one of these statuses. */
  readonly statuses?: readonly TransactionStatus[]
  /** At most this many records, the newest. */
  readonly limit?: number
}

/** What `readAudit` found: the records newest first, and the lines it had to skip. */
export interface AuditReadResult {
  readonly records: TransactionRecord[]
  /** One message per damaged or partial line skipped, naming the file and the line number. */
  readonly warnings: string[]
}

/**
 * Reads the trail in `dir` across rotations and restarts, newest first, applying `query`. A
 * damaged line (a crash in the middle of a write leaves a partial last line) is skipped with a
 * warning. A missing trail is an empty result. Values are redacted again on the way out, so a
 * trail written before a redaction rule existed prints safely too.
 */
export async function readAudit(dir: string, query: AuditQuery = {}): Promise<AuditReadResult> {
  const records: TransactionRecord[] = []
  const warnings: string[] = []
  const limit = query.limit ?? Infinity
  const statuses = query.statuses ? new Set<string>(query.statuses) : undefined
  const matches = query.paths && query.paths.length > 0 ? picomatch([...query.paths], { dot: true }) : undefined
  const since = query.since?.getTime()

  for (const name of await trailFiles(dir)) {
    if (records.length >= limit) break
    let text: string
    try {
      text = await readFile(join(dir, name), 'utf8')
    } catch (error) {
      // Rotated away by a running instance between the listing and the read.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw error
    }
    const lines = text.split('\n')
    for (let i = lines.length - 1; i >= 0 && records.length < limit; i--) {
      const line = lines[i] ?? ''
      if (line.trim() === '') continue
      const record = parseLine(line)
      if (!record) {
        const partial = i === lines.length - 1 ? ' (a partial last line: a crash during a write)' : ''
        warnings.push(`${join(dir, name)}:${i + 1}: a damaged line was skipped${partial}`)
        continue
      }
      if (statuses && !statuses.has(record.status)) continue
      if (since !== undefined && !(Date.parse(record.startedAt) >= since)) continue
      if (matches && !pathsOf(record).some((p) => matches(p))) continue
      records.push(redactValue(record))
    }
  }
  return { records, warnings }
}

/** The trail's files, newest first: `audit.jsonl`, `audit.1.jsonl`, `audit.2.jsonl`... */
async function trailFiles(dir: string): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const indexed: [number, string][] = []
  for (const name of names) {
    if (name === AUDIT_FILE) indexed.push([0, name])
    const m = /^audit\.(\d+)\.jsonl$/.exec(name)
    if (m) indexed.push([Number(m[1]), name])
  }
  return indexed.sort((a, b) => a[0] - b[0]).map(([, name]) => name)
}

function parseLine(line: string): TransactionRecord | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const r = value as Partial<TransactionRecord>
  if (typeof r.id !== 'number' || typeof r.status !== 'string' || typeof r.startedAt !== 'string' || !Array.isArray(r.changes)) return undefined
  return { ...r, problems: Array.isArray(r.problems) ? r.problems : [], plugins: Array.isArray(r.plugins) ? r.plugins : [] } as TransactionRecord
}

function pathsOf(record: TransactionRecord): string[] {
  const out: string[] = []
  for (const c of record.changes) {
    out.push(c.path)
    if (c.from !== undefined) out.push(c.from)
  }
  for (const p of record.problems) if (p.path !== undefined) out.push(p.path)
  return out
}
