import { appendFile, chmod, open, readFile } from 'node:fs/promises'
import { writeFileAtomic } from '@hotreload/core'
import { BackupWriteError } from './errors.js'
import { isSafeRelative } from './paths.js'
import { describe, FILE_MODE, isHash, isMissing } from './store.js'
import type { BackupKind, BackupRecord } from './types.js'

const KINDS: readonly BackupKind[] = Object.freeze(['modified', 'deleted', 'renamed', 'restored'])

/**
 * A record as stored: `batch` groups the records of one transaction so that a rollback can
 * revoke them all with one appended line, without rewriting the log.
 */
export interface IndexEntry extends BackupRecord {
  readonly batch: string
}

type Line =
  | ({ readonly type: 'backup'; readonly pending?: true } & IndexEntry)
  | { readonly type: 'revoke'; readonly batch: string; readonly time: string }
  | { readonly type: 'commit'; readonly batch: string; readonly time: string }

/** A line that could not be used, kept verbatim so that pruning never destroys it. */
export interface BadLine {
  /** 1-based line number. */
  readonly line: number
  readonly text: string
}

/** The index as read: live entries in append order, and the lines that could not be used. */
export interface IndexContents {
  /** Committed entries only: a transaction still applying (or that never committed) is not among them. */
  readonly entries: readonly IndexEntry[]
  readonly badLines: readonly BadLine[]
  /** Lines of batches neither committed nor revoked yet, kept verbatim by `compact`. */
  readonly pendingLines: readonly string[]
}

/**
 * The backup index: a JSON Lines file, one line per backup, only ever appended to while
 * transactions run. A transaction's lines are appended in apply marked `pending`, and count
 * once its commit appends a `commit` line for the batch, so no reader (in this process or
 * another) sees the backups of a transaction that has not committed. A rolled-back transaction
 * appends a `revoke` line. Lines without `pending` (older indexes, `restore()`'s own record,
 * compacted lines) count at once. `prune()` is the only writer that rewrites it, atomically.
 */
export class BackupIndex {
  private modeChecked = false

  constructor(readonly file: string) {}

  /**
   * Reads every live entry in append order. A line that does not parse or lacks a field (a
   * write cut short by a crash, a hand edit) is skipped and reported in `badLines`, so one bad
   * line never hides the other backups.
   */
  async read(): Promise<IndexContents> {
    return parse(await this.readText())
  }

  /**
   * Appends entries in one write; with `pending`, they count only once `commit(batch)` ran.
   * Throws `BackupWriteError` if the file cannot be written.
   */
  async append(entries: readonly IndexEntry[], { pending = false }: { readonly pending?: boolean } = {}): Promise<void> {
    if (entries.length === 0) return
    await this.write(entries.map((e) => JSON.stringify({ type: 'backup', ...e, ...(pending ? { pending: true } : {}) }) + '\n').join(''))
  }

  /** Makes the pending entries of `batches` count: their transaction committed. */
  async commit(batches: readonly string[]): Promise<void> {
    if (batches.length === 0) return
    const time = new Date().toISOString()
    await this.write(batches.map((batch) => JSON.stringify({ type: 'commit', batch, time }) + '\n').join(''))
  }

  /** Marks every entry of `batch` as void: its transaction was rolled back. */
  async revoke(batch: string): Promise<void> {
    await this.write(JSON.stringify({ type: 'revoke', batch, time: new Date().toISOString() }) + '\n')
  }

  /**
   * Rewrites the index with the entries `keep` selects, atomically (temp file + rename, 0600).
   * Revoked entries, revoke and commit lines go (kept entries are written as committed);
   * damaged lines and the lines of batches still pending are carried over verbatim, as are
   * lines appended by another process while `keep` ran.
   */
  async compact(keep: (contents: IndexContents) => readonly IndexEntry[] | Promise<readonly IndexEntry[]>): Promise<void> {
    const before = await this.readText()
    const contents = parse(before)
    const kept = await keep(contents)
    const now = await this.readText()
    const tail = now.startsWith(before) ? now.slice(before.length) : ''
    const text =
      kept.map((e) => JSON.stringify({ type: 'backup', ...e }) + '\n').join('') +
      contents.badLines.map((b) => b.text + '\n').join('') +
      contents.pendingLines.map((l) => l + '\n').join('') +
      tail
    try {
      await writeFileAtomic(this.file, text, { mode: FILE_MODE })
    } catch (error) {
      throw new BackupWriteError(`cannot rewrite the backup index ${this.file}: ${describe(error)}`, { path: this.file, cause: error })
    }
  }

  private async readText(): Promise<string> {
    try {
      return await readFile(this.file, 'utf8')
    } catch (error) {
      if (isMissing(error)) return ''
      throw error
    }
  }

  private async write(text: string): Promise<void> {
    try {
      // A line torn by a crash must not swallow the first line appended after it.
      const prefix = (await this.endsMidLine()) ? '\n' : ''
      await appendFile(this.file, prefix + text, { mode: FILE_MODE })
      if (!this.modeChecked) {
        // appendFile only applies the mode when it creates the file; an index copied in from
        // elsewhere may be wider.
        await chmod(this.file, FILE_MODE)
        this.modeChecked = true
      }
    } catch (error) {
      throw new BackupWriteError(`cannot append to the backup index ${this.file}: ${describe(error)}`, { path: this.file, cause: error })
    }
  }

  private async endsMidLine(): Promise<boolean> {
    let handle
    try {
      handle = await open(this.file, 'r')
    } catch (error) {
      if (isMissing(error)) return false
      throw error
    }
    try {
      const { size } = await handle.stat()
      if (size === 0) return false
      const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1)
      return buffer[0] !== 0x0a
    } finally {
      await handle.close()
    }
  }
}

function parse(text: string): IndexContents {
  const lines = text.split('\n')
  const entries: { entry: IndexEntry; pending: boolean; raw: string }[] = []
  const revoked = new Set<string>()
  const committed = new Set<string>()
  const badLines: BadLine[] = []
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return
    const line = toLine(raw)
    if (!line) badLines.push({ line: i + 1, text: raw })
    else if (line.type === 'revoke') revoked.add(line.batch)
    else if (line.type === 'commit') committed.add(line.batch)
    else entries.push({ entry: toEntry(line), pending: line.pending === true, raw })
  })
  const live = entries.filter((e) => !revoked.has(e.entry.batch))
  return {
    entries: live.filter((e) => !e.pending || committed.has(e.entry.batch)).map((e) => e.entry),
    badLines,
    pendingLines: live.filter((e) => e.pending && !committed.has(e.entry.batch)).map((e) => e.raw),
  }
}

function toLine(raw: string): Line | undefined {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    // A torn last line from a crash is expected; the caller reports it through badLines.
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  if (typeof v['batch'] !== 'string' || typeof v['time'] !== 'string') return undefined
  if (v['type'] === 'revoke') return { type: 'revoke', batch: v['batch'], time: v['time'] }
  if (v['type'] === 'commit') return { type: 'commit', batch: v['batch'], time: v['time'] }
  const ok =
    v['type'] === 'backup' &&
    (v['pending'] === undefined || v['pending'] === true) &&
    Number.isSafeInteger(v['version']) &&
    (v['version'] as number) >= 0 &&
    isSafeRelative(v['path']) &&
    KINDS.includes(v['kind'] as BackupKind) &&
    isHash(v['hash']) &&
    Number.isSafeInteger(v['size']) &&
    (v['size'] as number) >= 0
  return ok ? (v as unknown as Line) : undefined
}

function toEntry(line: IndexEntry): IndexEntry {
  const { version, time, path, kind, hash, size, batch } = line
  return { version, time, path, kind, hash, size, batch }
}
