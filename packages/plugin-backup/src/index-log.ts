import { appendFile, chmod, open, readFile } from 'node:fs/promises'
import { writeFileAtomic } from '@hotreload/core'
import { BackupWriteError } from './errors.js'
import { isSafeRelative } from './paths.js'
import { describe, FILE_MODE, isHash, isMissing } from './store.js'

/** Why the content was replaced: by an edit, a deletion, a rename away, or by `restore()`. */
export type BackupKind = 'modified' | 'deleted' | 'renamed' | 'restored'

const KINDS: readonly BackupKind[] = ['modified', 'deleted', 'renamed', 'restored']

/** One backup: the content `path` had before the transaction that committed as `version`. */
export interface BackupRecord {
  /**
   * The version of the transaction that replaced this content; `restore(path, version)` brings
   * this content back. For `restored`, the version the restore's own transaction was to commit as.
   */
  readonly version: number
  /** ISO time the backup was taken. */
  readonly time: string
  /** Root-relative path, `/`-separated, the content was at. */
  readonly path: string
  readonly kind: BackupKind
  /** sha256 of the content, its address in the object store. */
  readonly hash: string
  readonly size: number
}

/**
 * A record as stored: `batch` groups the records of one transaction so that a rollback can
 * revoke them all with one appended line, without rewriting the log.
 */
export interface IndexEntry extends BackupRecord {
  readonly batch: string
}

type Line = ({ readonly type: 'backup' } & IndexEntry) | { readonly type: 'revoke'; readonly batch: string; readonly time: string }

/** A line that could not be used, kept verbatim so that pruning never destroys it. */
export interface BadLine {
  /** 1-based line number. */
  readonly line: number
  readonly text: string
}

/** The index as read: live entries in append order, and the lines that could not be used. */
export interface IndexContents {
  readonly entries: readonly IndexEntry[]
  readonly badLines: readonly BadLine[]
}

/**
 * The backup index: a JSON Lines file, one line per backup, only ever appended to while
 * transactions run. A rolled-back transaction appends a `revoke` line for its batch. `prune()`
 * is the only writer that rewrites it, atomically.
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

  /** Appends entries in one write. Throws `BackupWriteError` if the file cannot be written. */
  async append(entries: readonly IndexEntry[]): Promise<void> {
    if (entries.length === 0) return
    await this.write(entries.map((e) => JSON.stringify({ type: 'backup', ...e }) + '\n').join(''))
  }

  /** Marks every entry of `batch` as void: its transaction was rolled back. */
  async revoke(batch: string): Promise<void> {
    await this.write(JSON.stringify({ type: 'revoke', batch, time: new Date().toISOString() }) + '\n')
  }

  /**
   * Rewrites the index with the entries `keep` selects, atomically (temp file + rename, 0600).
   * Revoked entries and revoke lines go; damaged lines are carried over verbatim, as are lines
   * appended by another process while `keep` ran.
   */
  async compact(keep: (contents: IndexContents) => readonly IndexEntry[] | Promise<readonly IndexEntry[]>): Promise<void> {
    const before = await this.readText()
    const contents = parse(before)
    const kept = await keep(contents)
    const now = await this.readText()
    const tail = now.startsWith(before) ? now.slice(before.length) : ''
    const text =
      kept.map((e) => JSON.stringify({ type: 'backup', ...e }) + '\n').join('') + contents.badLines.map((b) => b.text + '\n').join('') + tail
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
  const entries: IndexEntry[] = []
  const revoked = new Set<string>()
  const badLines: BadLine[] = []
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return
    const line = toLine(raw)
    if (!line) badLines.push({ line: i + 1, text: raw })
    else if (line.type === 'revoke') revoked.add(line.batch)
    else entries.push(toEntry(line))
  })
  return { entries: entries.filter((e) => !revoked.has(e.batch)), badLines }
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
  const ok =
    v['type'] === 'backup' &&
    Number.isSafeInteger(v['version']) &&
    (v['version'] as number) >= 0 &&
    isSafeRelative(v['path']) &&
    KINDS.includes(v['kind'] as BackupKind) &&
    isHash(v['hash']) &&
    Number.isSafeInteger(v['size']) &&
    (v['size'] as number) >= 0
  return ok ? (v as unknown as Line) : undefined
}

function toEntry(line: { readonly type: 'backup' } & IndexEntry): IndexEntry {
  const { version, time, path, kind, hash, size, batch } = line
  return { version, time, path, kind, hash, size, batch }
}
