import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { AssetDigest } from './hash.js'

/** One file for the pool: where it is, and its size as last seen (to size the batches). */
export interface PoolJob {
  readonly path: string
  readonly size: number
}

/**
 * A file's digest from the pool. With `withStat`, also the mtime the file had both before and
 * after it was read (absent when it changed meanwhile), to match against a stat fingerprint.
 */
export interface PoolDigest extends AssetDigest {
  readonly mtimeMs?: number
}

/** Per job, in the order given: the digest, or the error reading the file (with its `code`). */
export type PoolOutcome = PoolDigest | Error

export interface PoolOptions {
  /** Worker threads to start (at most one per batch). Default: `defaultPoolThreads()`. */
  readonly threads?: number
  /** Stops the workers and rejects with the signal's reason. */
  readonly signal?: AbortSignal
  /** Also report each file's mtime, when it did not move during the read (one more fstat per file). */
  readonly withStat?: boolean
}

/**
 * From this many files on, a stage hashes them in worker threads: one synchronous read per file
 * and both hashes from that buffer, with no thread-pool round trip per step (open, stat, read
 * and close are each one with `fs/promises`), and on every core. Starting the workers costs a
 * few tens of ms, which a handful of files does not repay (issue 11: per-file async overhead
 * was about 55% of the build, and one thread hashing both digests was 1.3-1.5x `sha256sum`).
 */
export const POOL_MIN_FILES = 64
/** Fewer files than POOL_MIN_FILES also go to the pool when they add up to this many bytes. */
export const POOL_MIN_BYTES = 32 * 1024 * 1024
/** Never more workers than this: each holds a 1 MiB buffer, and hashing saturates few cores. */
const MAX_THREADS = 4
// A batch is one message each way: enough files to make the message cost nothing per file,
// small enough that the last batches spread over every worker.
const BATCH_FILES = 64
const BATCH_BYTES = 4 * 1024 * 1024
// Batches queued per worker, so it never waits for the main thread between two of them.
const IN_FLIGHT = 2

/** One worker per core, up to MAX_THREADS. */
export function defaultPoolThreads(): number {
  return Math.max(1, Math.min(MAX_THREADS, availableParallelism()))
}

/** Whether `jobs` are worth starting workers for. */
export function worthPooling(jobs: readonly PoolJob[]): boolean {
  if (jobs.length >= POOL_MIN_FILES) return true
  if (jobs.length < 2) return false
  let bytes = 0
  for (const job of jobs) bytes += job.size
  return bytes >= POOL_MIN_BYTES
}

// The worker, as a CommonJS script: an `eval` worker needs no file of its own, so the same code
// runs from the TypeScript sources (where a worker could not load a .ts file) and from dist.
// It reads each file synchronously in 1 MiB chunks into one reused buffer and feeds both
// node:crypto hashes from it, so both describe exactly the bytes read.
const WORKER_SOURCE = `'use strict'
const { parentPort } = require('node:worker_threads')
const { createHash, hash } = require('node:crypto')
const { closeSync, constants, fstatSync, openSync, readSync } = require('node:fs')
const CHUNK = 1024 * 1024
// O_NONBLOCK: a FIFO that now sits at an asset path must not block this thread for a writer.
const FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK || 0)
const buffer = Buffer.allocUnsafe(CHUNK)
function digest(path, withStat) {
  const fd = openSync(path, FLAGS)
  try {
    const stats = fstatSync(fd)
    // A directory fails the read below with EISDIR, as a read from the main thread would.
    if (!stats.isFile() && !stats.isDirectory()) return { error: { message: 'it is not a regular file (a FIFO, socket or device now sits at its path)' } }
    const result = read(fd)
    if (withStat) {
      const after = fstatSync(fd)
      if (after.mtimeMs === stats.mtimeMs && after.size === stats.size && result.size === after.size) result.mtimeMs = after.mtimeMs
    }
    return result
  } finally {
    closeSync(fd)
  }
}
function read(fd) {
  const first = readSync(fd, buffer, 0, CHUNK, null)
  const more = first === 0 ? 0 : readSync(fd, buffer, first, CHUNK - first, null)
  if (first + more < CHUNK) {
    // The whole file in one buffer (the second read saw its end): one-shot hashes, which
    // skip the per-object setup that dominates for the many small files of a web app.
    const bytes = buffer.subarray(0, first + more)
    return { sha256: hash('sha256', bytes, 'hex'), integrity: 'sha384-' + hash('sha384', bytes, 'base64'), size: bytes.length }
  }
  const sha256 = createHash('sha256')
  const sha384 = createHash('sha384')
  let size = 0
  for (let n = first + more; n > 0; n = readSync(fd, buffer, 0, CHUNK, null)) {
    const chunk = buffer.subarray(0, n)
    sha256.update(chunk)
    sha384.update(chunk)
    size += n
  }
  return { sha256: sha256.digest('hex'), integrity: 'sha384-' + sha384.digest('base64'), size }
}
parentPort.on('message', (batch) => {
  const results = batch.paths.map((path) => {
    try {
      return digest(path, batch.withStat)
    } catch (error) {
      return { error: { code: error && error.code, syscall: error && error.syscall, message: String(error && error.message) } }
    }
  })
  parentPort.postMessage({ id: batch.id, results })
})
`

type WireResult = PoolDigest | { readonly error: { readonly code?: string; readonly syscall?: string; readonly message: string } }

/**
 * Hashes `jobs` (sha256 and sha384 of each file, from one read) in a pool of worker threads
 * started for this call, and stops every worker before it settles, whatever happens: no thread
 * or handle outlives it. Resolves with one outcome per job, in order; a file that cannot be read
 * is an `Error` carrying the file system's `code` (ENOENT, EISDIR, EACCES...), not a rejection.
 * Rejects when the pool itself fails (a worker cannot start or dies) or `signal` aborts.
 */
export async function digestInPool(jobs: readonly PoolJob[], options: PoolOptions = {}): Promise<PoolOutcome[]> {
  const { signal } = options
  signal?.throwIfAborted()
  const outcomes = new Array<PoolOutcome>(jobs.length)
  const batches = toBatches(jobs)
  if (batches.length === 0) return outcomes
  const threads = Math.max(1, Math.min(options.threads ?? defaultPoolThreads(), batches.length))
  const workers: Worker[] = []
  let onAbort: (() => void) | undefined
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0
      let done = 0
      let settled = false
      const finish = (error?: unknown): void => {
        if (settled) return
        settled = true
        if (error === undefined) resolve()
        else reject(error instanceof Error ? error : new Error(String(error)))
      }
      onAbort = () => finish(signal?.reason)
      signal?.addEventListener('abort', onAbort, { once: true })
      const feed = (worker: Worker): void => {
        if (settled || next >= batches.length) return
        const id = next++
        worker.postMessage({ id, withStat: options.withStat === true, paths: (batches[id] as number[]).map((i) => (jobs[i] as PoolJob).path) })
      }
      for (let t = 0; t < threads; t++) {
        const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] })
        workers.push(worker)
        worker.on('message', (message: { id: number; results: WireResult[] }) => {
          const batch = batches[message.id] as number[]
          batch.forEach((jobIndex, k) => (outcomes[jobIndex] = fromWire(message.results[k], (jobs[jobIndex] as PoolJob).path)))
          if (++done === batches.length) finish()
          else feed(worker)
        })
        worker.on('error', (error) => finish(new Error(`the asset hashing worker failed: ${error.message}`, { cause: error })))
        worker.on('exit', (code) => finish(new Error(`the asset hashing worker exited early (code ${code})`)))
        for (let k = 0; k < IN_FLIGHT; k++) feed(worker)
      }
    })
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort)
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
  return outcomes
}

/** Consecutive jobs grouped into batches of at most BATCH_FILES files or BATCH_BYTES bytes. */
function toBatches(jobs: readonly PoolJob[]): number[][] {
  const batches: number[][] = []
  let current: number[] = []
  let bytes = 0
  jobs.forEach((job, i) => {
    if (current.length > 0 && (current.length >= BATCH_FILES || bytes + job.size > BATCH_BYTES)) {
      batches.push(current)
      current = []
      bytes = 0
    }
    current.push(i)
    bytes += job.size
  })
  if (current.length > 0) batches.push(current)
  return batches
}

function fromWire(result: WireResult | undefined, path: string): PoolOutcome {
  if (result === undefined) return new Error(`the asset hashing worker returned nothing for ${path}`)
  if (!('error' in result)) return result
  const { code, syscall, message } = result.error
  return Object.assign(new Error(message), { path, ...(code !== undefined ? { code } : {}), ...(syscall !== undefined ? { syscall } : {}) })
}
