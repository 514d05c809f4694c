import { open, rename, rm } from 'node:fs/promises'
import { tempPathFor } from './sweep.js'

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
  // The framework's one temp name: hidden from the default ignore globs, swept after a crash.
  const temp = tempPathFor(path)
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
