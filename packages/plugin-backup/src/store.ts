import { createHash } from 'node:crypto'
import { chmod, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '@hotreload/core'
import { BackupCorruptError, BackupPathError, BackupWriteError } from './errors.js'
import { assertInside, assertReallyInside } from './paths.js'

/** Backup files are readable by their owner only: they may hold secrets from config files. */
export const FILE_MODE = 0o600
/** Backup directories are private to their owner for the same reason. */
export const DIR_MODE = 0o700

const HASH = /^[0-9a-f]{64}$/

/** One stored content: its sha256 (hex) and its size in bytes. */
export interface StoredObject {
  readonly hash: string
  readonly size: number
}

/** sha256 of `bytes`, lowercase hex: the address of the content in the store. */
export function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** True when `value` has the shape of a content address. */
export function isHash(value: unknown): value is string {
  return typeof value === 'string' && HASH.test(value)
}

/**
 * A content-addressed object store under `<dir>/objects/ab/cdef...`: each distinct content is
 * written once, whatever file or version it came from. Object names derive only from the
 * sha256, never from a user's path, so nothing a file is called can steer a write elsewhere.
 */
export class ContentStore {
  readonly objectsDir: string

  constructor(readonly dir: string) {
    this.objectsDir = join(dir, 'objects')
  }

  /**
   * Creates the backup and objects directories (0700) if needed and tightens the backup
   * directory's mode if it already existed. Throws `BackupWriteError` if that is impossible,
   * e.g. when the path is a regular file.
   */
  async ensure(): Promise<void> {
    try {
      await mkdir(this.objectsDir, { recursive: true, mode: DIR_MODE })
      await chmod(this.dir, DIR_MODE)
      await chmod(this.objectsDir, DIR_MODE)
    } catch (error) {
      throw new BackupWriteError(`cannot create the backup directory ${this.dir}: ${describe(error)}`, { path: this.dir, cause: error })
    }
  }

  /** Where the object `hash` lives. Throws `BackupPathError` for anything that is not a sha256. */
  objectPath(hash: string): string {
    if (!isHash(hash)) throw new BackupPathError(`"${hash}" is not a sha256 content address`, { path: hash })
    const path = join(this.objectsDir, hash.slice(0, 2), hash.slice(2))
    assertInside(this.objectsDir, path, 'backup object')
    return path
  }

  async has(hash: string): Promise<boolean> {
    try {
      return (await stat(this.objectPath(hash))).isFile()
    } catch (error) {
      if (isMissing(error)) return false
      throw error
    }
  }

  /**
   * Stores `bytes` under their sha256 unless that content is already stored, atomically and with
   * mode 0600. Resolves with the address and whether this call wrote it. Throws
   * `BackupWriteError` (or `BackupPathError` when a shard directory is a link leading outside).
   */
  async put(bytes: Uint8Array): Promise<StoredObject & { readonly written: boolean }> {
    const hash = hashBytes(bytes)
    const target = this.objectPath(hash)
    if (await this.has(hash)) return { hash, size: bytes.byteLength, written: false }
    const shard = join(this.objectsDir, hash.slice(0, 2))
    try {
      await mkdir(shard, { recursive: true, mode: DIR_MODE })
    } catch (error) {
      throw new BackupWriteError(`cannot create ${shard}: ${describe(error)}`, { path: shard, cause: error })
    }
    await assertReallyInside(this.dir, shard, 'backup object directory')
    try {
      await writeFileAtomic(target, bytes, { mode: FILE_MODE })
    } catch (error) {
      throw new BackupWriteError(`cannot write backup object ${target}: ${describe(error)}`, { path: target, cause: error })
    }
    return { hash, size: bytes.byteLength, written: true }
  }

  /** Reads an object and checks its bytes still hash to its name; throws `BackupCorruptError` if not. */
  async get(hash: string): Promise<Buffer> {
    const path = this.objectPath(hash)
    let bytes: Buffer
    try {
      bytes = await readFile(path)
    } catch (error) {
      if (isMissing(error)) throw new BackupCorruptError(`backup object ${hash} is missing from ${this.objectsDir}`, { path, cause: error })
      throw error
    }
    if (hashBytes(bytes) !== hash) throw new BackupCorruptError(`backup object ${path} does not match its sha256`, { path })
    return bytes
  }

  /** Deletes an object; resolves with the bytes freed (0 if it was already gone). */
  async remove(hash: string): Promise<number> {
    const path = this.objectPath(hash)
    try {
      const { size } = await stat(path)
      await rm(path)
      return size
    } catch (error) {
      if (isMissing(error)) return 0
      throw error
    }
  }

  /**
   * Every object in the store. Entries that are not objects (an interrupted write's temporary
   * file, anything a person put there) are left out, so garbage collection never touches them.
   */
  async list(): Promise<StoredObject[]> {
    const out: StoredObject[] = []
    for (const shard of await readdirIfExists(this.objectsDir)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue
      for (const rest of await readdirIfExists(join(this.objectsDir, shard))) {
        const hash = shard + rest
        if (!isHash(hash)) continue
        const info = await stat(join(this.objectsDir, shard, rest))
        if (info.isFile()) out.push({ hash, size: info.size })
      }
    }
    return out
  }
}

async function readdirIfExists(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch (error) {
    if (isMissing(error)) return []
    throw error
  }
}

/** ENOENT, or ENOTDIR when a path component is a file: both mean "not there". */
export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
