import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** Options of `writeFileAtomic`. */
export interface WriteAtomicOptions {
  /** File mode for the new file, e.g. 0o600. Default 0o644. */
  readonly mode?: number
  /** fsync the file before the rename, so a crash never leaves an empty file. Default true. */
  readonly fsync?: boolean
}

/**
 * Writes `data` to `path` so readers see either the old bytes or the new, never a part: the
 * bytes go to a temporary file in the same directory (same filesystem, so the rename is
 * atomic), which is then renamed over `path`. The temporary file is removed if anything fails.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteAtomicOptions = {},
): Promise<void> {
  // A dot-prefixed .tmp name: hidden from the default ignore globs, so watchers never see it.
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', options.mode ?? 0o644)
  try {
    try {
      await handle.writeFile(data)
      if (options.fsync !== false) await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}
