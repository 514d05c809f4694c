import { constants } from 'node:fs'
import { access, copyFile, mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { AssetCopyError } from './errors.js'
import { describeFsError } from './fs-reason.js'
import { tempPathFor } from '@hotreload/core'

/**
 * The fingerprinted copies of each asset in the output directory, newest first, bounded by
 * `keep`. Copies are content-addressed (the hash is in the name), so a copy is never rewritten
 * in place: a new version is a new file and a superseded one is removed once `keep` newer
 * versions of the same asset exist. A deleted asset keeps its copies (pages already sent may
 * still ask for them) until it is re-created and superseded again.
 */
export class CopyRetention {
  private readonly versions = new Map<string, string[]>()

  constructor(private readonly keep: number) {}

  /** Makes `file` the newest version of `logicalPath`; returns the files that fall out of retention. */
  record(logicalPath: string, file: string): string[] {
    const list = (this.versions.get(logicalPath) ?? []).filter((f) => f !== file)
    list.unshift(file)
    const dropped = list.splice(this.keep)
    this.versions.set(logicalPath, list)
    return dropped
  }

  /** The kept files of one asset, newest first. */
  files(logicalPath: string): readonly string[] {
    return this.versions.get(logicalPath) ?? []
  }

}

/**
 * Whether `dir` could be created and written, found out without writing anything (validate and
 * dry runs write nothing): walks up to the nearest existing path and checks that it is a
 * directory this process may write to. Resolves `undefined` when it can, else an error with the
 * errno code a write would have failed with. A file standing at `dir` itself is `whenFile`
 * (`EEXIST` when the caller creates `dir`, `ENOTDIR` when `dir` is a file's parent); a file
 * further up is `ENOTDIR`.
 */
export async function checkWritableDir(dir: string, whenFile: 'EEXIST' | 'ENOTDIR'): Promise<NodeJS.ErrnoException | undefined> {
  let at = dir
  for (;;) {
    let isDirectory: boolean
    try {
      isDirectory = (await stat(at)).isDirectory()
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      const parent = dirname(at)
      if ((code === 'ENOENT' || code === 'ENOTDIR') && parent !== at) {
        at = parent
        continue
      }
      return error as NodeJS.ErrnoException
    }
    if (!isDirectory) return Object.assign(new Error(`${at} is not a directory`), { code: at === dir ? whenFile : 'ENOTDIR', path: at })
    try {
      // access() also refuses an immutable directory (chattr +i) and a read-only mount for root.
      await access(at, constants.W_OK)
      return undefined
    } catch (error) {
      return error as NodeJS.ErrnoException
    }
  }
}

/** A temp path in the same directory as the copy, so moving it into place is an atomic rename. */
export async function copyTempFor(outputDir: string, file: string): Promise<string> {
  const final = join(outputDir, file)
  await mkdir(dirname(final), { recursive: true })
  return tempPathFor(final)
}

/**
 * Whether a copy with this name and size already exists. The name carries the content hash,
 * so a same-size file under it is taken as that content (a copy truncated by a crash has
 * another size and is written again). Rejects with an `AssetCopyError` when the name cannot be
 * looked up at all (too long for the file system, a directory without permission).
 */
export async function hasCopy(path: string, size: number): Promise<boolean> {
  try {
    const s = await stat(path)
    return s.isFile() && s.size === size
  } catch (error) {
    // ENOTDIR: a file stands where a directory of the path should be, so no copy is there.
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return false
    // It is the copy that cannot exist (a name too long, no permission on the output
    // directory), not the asset that cannot be read.
    const { reason, hint } = describeFsError(error)
    throw new AssetCopyError(`cannot write the fingerprinted copy ${path}: ${reason}`, { path, hint, cause: error })
  }
}

/** Copies an existing copy's bytes to a new temp file (for renames, whose content is unchanged). */
export function duplicateCopy(source: string, temp: string): Promise<void> {
  return copyFile(source, temp, constants.COPYFILE_EXCL)
}

/** Writes bytes already in memory to a new temp copy; rejects with an `AssetCopyError`. */
export async function writeCopy(temp: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFile(temp, bytes, { flag: 'wx', mode: 0o644 })
  } catch (error) {
    const { reason, hint } = describeFsError(error)
    throw new AssetCopyError(`cannot write the fingerprinted copy ${temp}: ${reason}`, { path: temp, hint, cause: error })
  }
}

/** Moves a staged copy to its fingerprinted name. */
export function commitCopy(temp: string, final: string): Promise<void> {
  return rename(temp, final)
}

/** Removes a file; resolves whether it existed, since an already-missing copy is the goal reached. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}
