import { createHash, webcrypto } from 'node:crypto'
import { open, type FileHandle } from 'node:fs/promises'
import { AssetCopyError } from './errors.js'
import { describeFsError } from './fs-reason.js'

/** What one pass over a file's bytes yields. */
export interface AssetDigest {
  /** sha256, hex: names the fingerprinted file and is compared with the core's fingerprint. */
  readonly sha256: string
  /** Subresource Integrity value, `sha384-<base64>`. */
  readonly integrity: string
  /** Bytes actually read, which is what the two hashes describe. */
  readonly size: number
}

export interface DigestOptions {
  /** Also write the bytes to this new file (created exclusively), in the same pass. */
  readonly copyTo?: string
  /** Stops reading between chunks once aborted. */
  readonly signal?: AbortSignal
}

/**
 * Files up to this size are read in one call: for the many small files of a web app a stream's
 * per-chunk overhead dominates. Larger files stream in chunks of this size, so memory stays
 * bounded by it however big the file is.
 */
export const CHUNK_SIZE = 1024 * 1024

/** The SRI value of bytes the caller already holds: sha384 only, the sha256 is known. */
export function integrityOf(bytes: Uint8Array): string {
  return `sha384-${createHash('sha384').update(bytes).digest('base64')}`
}

/**
 * Files from this size on are hashed off the main thread: WebCrypto's `digest` runs in libuv's
 * thread pool, so the sha384 of several assets proceeds in parallel with the core reading and
 * fingerprinting the next ones (issue 11: one thread doing both hashes was 1.3-1.5x the time
 * of `sha256sum`). Below it the round trip costs more than hashing inline.
 */
export const OFF_THREAD_BYTES = 64 * 1024

/** `integrityOf`, computed in the thread pool for large buffers. */
export async function integrityOfAsync(bytes: Uint8Array): Promise<string> {
  if (bytes.length < OFF_THREAD_BYTES) return integrityOf(bytes)
  const digest = await webcrypto.subtle.digest('SHA-384', bytes)
  return `sha384-${Buffer.from(digest).toString('base64')}`
}

/**
 * Computes sha256 and sha384 of a file in a single read, optionally copying the bytes on the
 * way. Both hashes and the copy describe the same bytes even if the file changes meanwhile,
 * which two separate reads could not promise. A failure to read rejects with the file system's
 * error (ENOENT, EISDIR, EACCES...) for the caller to turn into a problem; a failure to write the
 * copy rejects with an `AssetCopyError`. A partial copy is the caller's to remove.
 */
export async function digestFile(path: string, options: DigestOptions = {}): Promise<AssetDigest> {
  const { signal } = options
  signal?.throwIfAborted()
  const sha256 = createHash('sha256')
  const sha384 = createHash('sha384')
  let size = 0
  const input = await open(path, 'r')
  let output: FileHandle | undefined
  try {
    if (options.copyTo !== undefined) output = await openCopy(options.copyTo)
    const stat = await input.stat()
    if (stat.size <= CHUNK_SIZE) {
      const bytes = await input.readFile()
      sha256.update(bytes)
      sha384.update(bytes)
      size = bytes.length
      if (output) await writeAll(output, bytes, options.copyTo)
    } else {
      // One reused buffer: the hashes consume each chunk before the next read overwrites it.
      const buffer = Buffer.allocUnsafe(CHUNK_SIZE)
      for (;;) {
        signal?.throwIfAborted()
        const { bytesRead } = await input.read(buffer, 0, CHUNK_SIZE, null)
        if (bytesRead === 0) break
        const chunk = buffer.subarray(0, bytesRead)
        sha256.update(chunk)
        sha384.update(chunk)
        size += bytesRead
        if (output) await writeAll(output, chunk, options.copyTo)
      }
    }
  } finally {
    await output?.close()
    await input.close()
  }
  return { sha256: sha256.digest('hex'), integrity: `sha384-${sha384.digest('base64')}`, size }
}

async function openCopy(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx', 0o644)
  } catch (error) {
    throw copyError(path, error)
  }
}

// A write to a regular file may in principle be short; loop so the copy is never truncated.
async function writeAll(handle: FileHandle, bytes: Buffer, path: string | undefined): Promise<void> {
  let offset = 0
  try {
    while (offset < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset)
      offset += bytesWritten
    }
  } catch (error) {
    throw copyError(path ?? '(copy)', error)
  }
}

function copyError(path: string, cause: unknown): AssetCopyError {
  const { reason, hint } = describeFsError(cause)
  return new AssetCopyError(`cannot write the fingerprinted copy ${path}: ${reason}`, { path, hint, cause })
}
