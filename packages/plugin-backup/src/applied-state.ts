import { readFile } from 'node:fs/promises'
import { writeFileAtomic } from '@hotreload/core'
import { BackupWriteError } from './errors.js'
import { isSafeRelative } from './paths.js'
import { describe, FILE_MODE, isHash, isMissing, type StoredObject } from './store.js'

/**
 * The content every watched file had at the last applied transaction, kept next to the index
 * so that a new process knows what the files held when the last one stopped: an edit made
 * while nothing was running is then backed up like any other.
 */
export class AppliedState {
  constructor(readonly file: string) {}

  /**
   * Reads the saved map. A missing file is an empty map; a damaged one is reported through
   * `onDamaged` and also read as empty, since the store still holds the contents.
   */
  async read(onDamaged: (message: string) => void): Promise<Map<string, StoredObject>> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (error) {
      if (isMissing(error)) return new Map()
      onDamaged(`cannot read ${this.file}: ${describe(error)}`)
      return new Map()
    }
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (error) {
      onDamaged(`${this.file} is not valid JSON (${describe(error)}); starting without it`)
      return new Map()
    }
    const files = typeof data === 'object' && data !== null ? (data as { files?: unknown }).files : undefined
    const out = new Map<string, StoredObject>()
    if (typeof files !== 'object' || files === null) {
      onDamaged(`${this.file} has no "files" object; starting without it`)
      return out
    }
    for (const [path, value] of Object.entries(files)) {
      const { hash, size } = (value ?? {}) as { hash?: unknown; size?: unknown }
      if (isSafeRelative(path) && isHash(hash) && Number.isSafeInteger(size)) out.set(path, { hash, size: size as number })
    }
    return out
  }

  /** Replaces the saved map atomically (0600). Throws `BackupWriteError`. */
  async write(files: ReadonlyMap<string, StoredObject>): Promise<void> {
    const sorted = Object.fromEntries([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([p, o]) => [p, { hash: o.hash, size: o.size }]))
    try {
      await writeFileAtomic(this.file, JSON.stringify({ files: sorted }, null, 1) + '\n', { mode: FILE_MODE })
    } catch (error) {
      throw new BackupWriteError(`cannot write ${this.file}: ${describe(error)}`, { path: this.file, cause: error })
    }
  }
}
