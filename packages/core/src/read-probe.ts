import { createHash, hash as oneShotHash, webcrypto } from 'node:crypto'
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import type { Fingerprint } from './changes.js'
import { isFdLimit, retryOnFdLimit } from './fd-limit.js'
import { isMissing, statOrMissing } from './list-files.js'

/** What the local-files source needs of one path: its bytes (someone reads them), and up to what size. */
export interface ReadNeeds {
  /** Read and hash the file now. False: a fingerprint by size and mtime, read on demand. */
  readonly bytes: boolean
  /** Files larger than this are fingerprinted by stat and never read (`read()` rejects). */
  readonly maxBytes: number
  /**
   * A plugin claimed the file with `fingerprint: 'stat'`: the core never reads it itself, not
   * even at a change (an unclaimed file is hashed at its first change).
   */
  readonly statOnly?: boolean
}

export interface Snapshot {
  readonly fingerprint: Fingerprint
  /** Absent for files over the inline limit or fingerprinted by stat: re-read on demand. */
  readonly bytes?: Buffer
}

export type Probe =
  | { readonly state: 'missing' }
  | { readonly state: 'present'; readonly snapshot: Snapshot }
  | { readonly state: 'unreadable'; readonly error: Error }

export const MISSING: Probe = Object.freeze({ state: 'missing' })

// A file still being written moves between our two stats; a few re-reads catch the end of a
// normal write, and the watcher reports a writer that keeps going as a further change.
const MAX_READ_ATTEMPTS = 5
/**
 * Files up to this size are read synchronously: open, fstat, read, fstat and close are each a
 * thread-pool round trip with `fs/promises` (about 60 µs apiece on a loaded machine, against a
 * few µs for the system call itself). Callers read in batches and yield between them.
 */
export const SYNC_READ_LIMIT = 1024 * 1024
// O_NONBLOCK: opening a FIFO that sits at a watched path must not block the event loop waiting
// for a writer; for regular files the flag changes nothing.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)

const STAT_PREFIX = 'stat:'
/**
 * With `offload`, files from this size on are hashed in libuv's thread pool (WebCrypto's
 * `digest`), so a large initial load hashes on every core while the main thread reads the next
 * files. Below it the round trip costs more than hashing inline.
 */
export const OFF_THREAD_BYTES = 64 * 1024

/**
 * The fingerprint of a file known only by `stat`: no plugin needed its bytes (or it is over a
 * plugin's size limit). Its `hash` is `stat:<size>:<mtimeMs>`, so equal stats compare equal and
 * it never equals a content hash.
 */
export function statFingerprint(stats: Pick<Stats, 'size' | 'mtimeMs'>): Fingerprint {
  return { size: stats.size, mtimeMs: stats.mtimeMs, hash: `${STAT_PREFIX}${stats.size}:${stats.mtimeMs}` }
}

/**
 * The fingerprint of a file the initial load found in its listing and did not stat, because no
 * plugin reads it: size and mtime are unknown (-1). Shortly after the load the core stats such
 * files in the background (listed-stats.ts); until then any event on one is a change. Its hash
 * never equals a content hash or a real stat's.
 */
export const LISTED: Fingerprint = Object.freeze({ size: -1, mtimeMs: -1, hash: `${STAT_PREFIX}listed` })

/**
 * Whether `fingerprint` was taken by size and mtime only (`stat:<size>:<mtimeMs>`), not from
 * the bytes: a file no plugin reads, over a plugin's size limit, or claimed with
 * `fingerprint: 'stat'`, or known only by its listing (`LISTED`). Such a hash never equals a
 * content hash.
 */
export function isStatFingerprint(fingerprint: Fingerprint): boolean {
  return fingerprint.hash.startsWith(STAT_PREFIX)
}

/**
 * Probes one file without a thread-pool round trip: by stat alone when its bytes are not
 * needed or it is over `needs.maxBytes`, else read and sha256-hashed, retrying while its size or
 * mtime moves during the read. Returns undefined for a file over `SYNC_READ_LIMIT` whose bytes
 * are needed: the caller reads it with `probeAsync`. With `offload`, a large file's hash is
 * computed in the thread pool and a promise of the probe is returned.
 */
export function probeSync(absolute: string, needs: ReadNeeds, offload = false): Probe | Promise<Probe> | undefined {
  if (!needs.bytes) {
    try {
      const stats = statSync(absolute, { throwIfNoEntry: false })
      if (stats === undefined || !stats.isFile()) return MISSING
      return present(statFingerprint(stats))
    } catch (error) {
      return failed(error)
    }
  }
  let last: Probe = MISSING
  for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
    let fd: number
    try {
      fd = openSync(absolute, OPEN_FLAGS)
    } catch (error) {
      // Out of descriptors: the asynchronous path waits for some to free up (fd-limit.ts).
      if (isFdLimit(error)) return undefined
      return failed(error)
    }
    try {
      const before = fstatSync(fd)
      // A directory, socket or fifo now sits at a watched path: there is no file content to apply.
      if (!before.isFile()) return MISSING
      if (before.size > needs.maxBytes) return present(statFingerprint(before))
      if (before.size > SYNC_READ_LIMIT) return undefined
      // One byte more than the size: a read that fills it means the file grew meanwhile.
      const buffer = Buffer.allocUnsafe(before.size + 1)
      let length = 0
      for (;;) {
        const n = readSync(fd, buffer, length, buffer.length - length, length)
        if (n === 0) break
        length += n
        if (length === buffer.length) break
      }
      const after = fstatSync(fd)
      const bytes = buffer.subarray(0, length)
      const settled = after.size === before.size && after.mtimeMs === before.mtimeMs && length === after.size
      if (settled && offload && length >= OFF_THREAD_BYTES) {
        const { mtimeMs } = after
        return webcrypto.subtle.digest('SHA-256', bytes).then((digest) => present({ size: length, mtimeMs, hash: Buffer.from(digest).toString('hex') }, bytes))
      }
      last = present({ size: length, mtimeMs: after.mtimeMs, hash: sha256(bytes) }, bytes)
      if (settled) return last
    } catch (error) {
      return failed(error)
    } finally {
      closeSync(fd)
    }
  }
  return last
}

/**
 * Reads (or, over `inlineLimit`, stream-hashes) one file asynchronously, retrying while its
 * size or mtime moves during the read: the path for files too large to read synchronously.
 */
export async function probeAsync(absolute: string, needs: ReadNeeds, inlineLimit: number): Promise<Probe> {
  let last: Probe = MISSING
  for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
    const onPath = await statOrMissing(absolute).catch((error: unknown) => asError(error))
    if (onPath instanceof Error) return { state: 'unreadable', error: onPath }
    if (onPath === undefined || !onPath.isFile()) return MISSING
    if (!needs.bytes || onPath.size > needs.maxBytes) return present(statFingerprint(onPath))
    let handle: FileHandle | undefined
    try {
      handle = await retryOnFdLimit(`reading ${absolute}`, () => open(absolute, OPEN_FLAGS))
      const before = await handle.stat()
      const read = before.size <= inlineLimit ? await readAll(handle) : await hashAll(handle)
      const after = await handle.stat()
      const fingerprint: Fingerprint = { size: read.size, mtimeMs: after.mtimeMs, hash: read.hash }
      last = present(fingerprint, read.bytes)
      if (after.size === before.size && after.mtimeMs === before.mtimeMs && read.size === after.size) return last
    } catch (error) {
      return failed(error)
    } finally {
      await handle?.close()
    }
  }
  return last
}

function present(fingerprint: Fingerprint, bytes?: Buffer): Probe {
  return { state: 'present', snapshot: bytes ? { fingerprint, bytes } : { fingerprint } }
}

function failed(error: unknown): Probe {
  if (isMissing(error)) return MISSING
  return { state: 'unreadable', error: asError(error) }
}

// The one-shot `crypto.hash` (Node >= 20.12) builds no Hash object: a save's small file is
// hashed in about half the time of createHash().update().digest() (issue 11).
function sha256(bytes: Uint8Array): string {
  return oneShotHash('sha256', bytes, 'hex')
}

async function readAll(handle: FileHandle): Promise<{ size: number; hash: string; bytes: Buffer }> {
  const bytes = await handle.readFile()
  return { size: bytes.length, hash: sha256(bytes), bytes }
}

async function hashAll(handle: FileHandle): Promise<{ size: number; hash: string; bytes?: undefined }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of handle.createReadStream({ start: 0, autoClose: false })) {
    const buffer = chunk as Buffer
    size += buffer.length
    hash.update(buffer)
  }
  return { size, hash: hash.digest('hex') }
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
