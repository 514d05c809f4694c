import { createHash } from 'node:crypto'
import { open, type FileHandle } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { setTimeout as delay } from 'node:timers/promises'
import { join } from 'node:path'
import { HotReloadError } from './errors.js'
import { mapLimit } from './map-limit.js'
import { retryOnFdLimit } from './fd-limit.js'
import { isMissing, listWatchedFiles, statOrMissing } from './list-files.js'
import type { PathMatcher } from './path-matcher.js'
import type { ChangeSource, FileChange, Fingerprint, Reconciled, ReconcileOptions } from './changes.js'

export type { Reconciled } from './changes.js'

export interface FileStateOptions {
  /** Files up to this size are kept in memory between reconcile and read. Default 16 MiB. */
  inlineLimitBytes?: number
  /** A directory `scan()` cannot read; without it, `scan()` rejects with that error. */
  onUnreadableDirectory?(rel: string, error: Error): void
  /** A name that is not valid UTF-8 where a watched file could be (see `ListOptions`). */
  onInvalidName?(dirRel: string, raw: Buffer): void
  /**
   * How long a file that had content and is now empty is given to be written before it counts
   * as emptied. Default 100 ms.
   */
  emptySettleMs?: number
}

const DEFAULT_INLINE_LIMIT = 16 * 1024 * 1024
// A file still being written moves between our two stats; a few re-reads catch the end of a
// normal write, and the watcher reports a writer that keeps going as a further change.
const MAX_READ_ATTEMPTS = 5
const READ_CONCURRENCY = 32
// A plain write truncates the file first: a reader between the truncate and the write sees an
// empty file, which a busy machine makes likely. An emptied file is re-read every few ms for a
// short while before it is taken to be empty on purpose.
const DEFAULT_EMPTY_SETTLE_MS = 100
const EMPTY_RECHECK_MS = 10

interface Snapshot {
  readonly fingerprint: Fingerprint
  /** Absent for files over the inline limit: they are hashed as a stream and re-read on demand. */
  readonly bytes?: Buffer
}

type Probe =
  | { readonly state: 'missing' }
  | { readonly state: 'present'; readonly snapshot: Snapshot }
  | { readonly state: 'unreadable'; readonly error: Error }

const MISSING: Probe = Object.freeze({ state: 'missing' })

/**
 * The default change source, the local files: the content fingerprints of the watched files
 * (the baseline last applied), and the reconciliation that turns a batch of dirty paths into
 * the changes a transaction runs. The kernel's watcher backend reports the dirty paths.
 */
export class FileState implements ChangeSource {
  readonly name = 'files'
  readonly #root: string
  readonly #matcher: PathMatcher
  readonly #inlineLimit: number
  readonly #onUnreadableDirectory: FileStateOptions['onUnreadableDirectory']
  readonly #onInvalidName: FileStateOptions['onInvalidName']
  readonly #emptySettleMs: number
  readonly #baseline = new Map<string, Fingerprint>()
  readonly #contents = new Map<string, Snapshot>()

  constructor(root: string, matcher: PathMatcher, options: FileStateOptions = {}) {
    this.#root = root
    this.#matcher = matcher
    this.#inlineLimit = options.inlineLimitBytes ?? DEFAULT_INLINE_LIMIT
    this.#onUnreadableDirectory = options.onUnreadableDirectory
    this.#onInvalidName = options.onInvalidName
    this.#emptySettleMs = options.emptySettleMs ?? DEFAULT_EMPTY_SETTLE_MS
  }

  /**
   * Lists every watched file under the root (or under `dirRel`), root-relative and sorted,
   * following symlinks. Unreadable directories go to `onUnreadableDirectory`, else reject.
   */
  scan(dirRel = ''): Promise<string[]> {
    return listWatchedFiles(this.#root, this.#matcher, { dirRel, onUnreadableDirectory: this.#onUnreadableDirectory, onInvalidName: this.#onInvalidName })
  }

  /** The fingerprint last applied for each path. */
  baseline(): ReadonlyMap<string, Fingerprint> {
    return this.#baseline
  }

  size(): number {
    return this.#baseline.size
  }

  /** Paths of the baseline inside the directory `dirRel`: what an `unlinkDir` made dirty. */
  under(dirRel: string): string[] {
    const prefix = `${dirRel}/`
    return [...this.#baseline.keys()].filter((path) => path.startsWith(prefix))
  }

  /**
   * Compares the disk state of `paths` with the baseline and returns the changes, reading each
   * file once. A path the matcher no longer watches counts as missing. `force` paths that exist
   * in both are reported as modified even when their bytes are equal.
   */
  async reconcile(paths: Iterable<string>, options: ReconcileOptions = {}): Promise<Reconciled> {
    const unique = [...new Set(paths)].sort()
    const force = new Set(options.force ?? [])
    const probes = await mapLimit(unique, READ_CONCURRENCY, (rel) =>
      this.#matcher.isWatched(rel) ? probe(join(this.#root, rel), this.#inlineLimit) : Promise.resolve(MISSING),
    )
    await Promise.all(
      unique.map(async (path, i) => {
        const found = probes[i]
        const previous = this.#baseline.get(path)
        if (found?.state === 'present' && found.snapshot.fingerprint.size === 0 && previous !== undefined && previous.size > 0) {
          probes[i] = await this.#untilWritten(join(this.#root, path), found)
        }
      }),
    )
    const deleted: FileChange[] = []
    const created: FileChange[] = []
    const modified: FileChange[] = []
    const noops: string[] = []
    const unreadable: { path: string; error: Error }[] = []
    unique.forEach((path, i) => {
      const found = probes[i] ?? MISSING
      const previous = this.#baseline.get(path)
      const absolutePath = join(this.#root, path)
      if (found.state === 'unreadable') {
        unreadable.push({ path, error: found.error })
      } else if (found.state === 'missing') {
        if (previous) deleted.push({ kind: 'deleted', path, absolutePath, previous })
        else noops.push(path)
      } else {
        const { fingerprint } = found.snapshot
        if (!previous) created.push({ kind: 'created', path, absolutePath, fingerprint })
        else if (previous.hash !== fingerprint.hash || force.has(path)) modified.push({ kind: 'modified', path, absolutePath, fingerprint, previous })
        else noops.push(path)
        if (previous?.hash !== fingerprint.hash || force.has(path)) this.#contents.set(path, found.snapshot)
      }
    })
    const arrivals = pairRenames(deleted, created)
    return { changes: [...deleted, ...arrivals, ...modified], noops, unreadable }
  }

  /** Re-reads an emptied file until it has content, is gone, or the settle time is over. */
  async #untilWritten(absolute: string, empty: Probe): Promise<Probe> {
    const deadline = performance.now() + this.#emptySettleMs
    let last = empty
    while (performance.now() < deadline) {
      await delay(Math.min(EMPTY_RECHECK_MS, Math.max(0, deadline - performance.now())))
      last = await probe(absolute, this.#inlineLimit)
      if (last.state !== 'present' || last.snapshot.fingerprint.size > 0) return last
    }
    return last
  }

  /**
   * The bytes of a reconciled change, exactly those its fingerprint hashes: from memory, or
   * re-read from disk (big files, or after `release()`). Rejects for a deleted file, and when
   * the file changed on disk since it was reconciled (the next batch carries that change).
   */
  async read(change: FileChange): Promise<Buffer> {
    const expected = change.fingerprint
    if (change.kind === 'deleted' || expected === undefined) {
      throw new HotReloadError('HR_FILE_DELETED', `${change.path} was deleted: it has no content to read`, {
        path: change.path,
        hint: 'Check change.kind before reading; a deleted file only has `previous`.',
      })
    }
    const cached = this.#contents.get(change.path)
    if (cached?.bytes && cached.fingerprint.hash === expected.hash) return cached.bytes
    const found = await probe(change.absolutePath, Infinity)
    if (found.state === 'present' && found.snapshot.bytes && found.snapshot.fingerprint.hash === expected.hash) return found.snapshot.bytes
    const now = found.state === 'present' ? 'different content' : found.state === 'missing' ? 'nothing (it was removed)' : `an error (${found.error.message})`
    throw new HotReloadError('HR_FILE_CHANGED', `${change.path} changed on disk during the transaction: it now holds ${now}`, {
      path: change.path,
      hint: 'Nothing to do: the next transaction picks up the new state.',
      cause: found.state === 'unreadable' ? found.error : undefined,
    })
  }

  /** Takes the changes of a committed transaction into the baseline. */
  commit(changes: readonly FileChange[]): void {
    for (const change of changes) {
      if (change.kind === 'deleted') this.#baseline.delete(change.path)
      if (change.kind === 'renamed' && change.from !== undefined) this.#baseline.delete(change.from)
      if (change.kind !== 'deleted' && change.fingerprint) this.#baseline.set(change.path, change.fingerprint)
    }
  }

  /** Drops the contents kept since `reconcile`; call it when a transaction ends. */
  release(): void {
    this.#contents.clear()
  }
}

/**
 * Pairs each deleted path with a created path of the same content hash into one `renamed`
 * change; returns the created and renamed changes sorted by path, and removes paired deletes.
 */
function pairRenames(deleted: FileChange[], created: FileChange[]): FileChange[] {
  const byHash = new Map<string, FileChange[]>()
  for (const gone of deleted) {
    const hash = gone.previous?.hash
    if (hash !== undefined) byHash.set(hash, [...(byHash.get(hash) ?? []), gone])
  }
  const arrivals = created.map((change): FileChange => {
    const candidates = change.fingerprint ? byHash.get(change.fingerprint.hash) : undefined
    const gone = candidates?.shift()
    if (!gone) return change
    deleted.splice(deleted.indexOf(gone), 1)
    return { kind: 'renamed', path: change.path, absolutePath: change.absolutePath, from: gone.path, fingerprint: change.fingerprint, previous: gone.previous }
  })
  return arrivals.sort((a, b) => compare(a.path, b.path))
}

/**
 * Reads (or, over `inlineLimit`, stream-hashes) one file, retrying while its size or mtime moves
 * during the read, so the bytes returned are the bytes the fingerprint describes.
 */
async function probe(absolute: string, inlineLimit: number): Promise<Probe> {
  let last: Probe = MISSING
  for (let attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++) {
    const onPath = await statOrMissing(absolute).catch((error: unknown) => asError(error))
    if (onPath instanceof Error) return { state: 'unreadable', error: onPath }
    // A directory, socket or fifo now sits at a watched path: there is no file content to apply.
    if (onPath === undefined || !onPath.isFile()) return MISSING
    let handle: FileHandle | undefined
    try {
      handle = await retryOnFdLimit(`reading ${absolute}`, () => open(absolute, 'r'))
      const before = await handle.stat()
      const read = before.size <= inlineLimit ? await readAll(handle) : await hashAll(handle)
      const after = await handle.stat()
      const fingerprint: Fingerprint = { size: read.size, mtimeMs: after.mtimeMs, hash: read.hash }
      last = { state: 'present', snapshot: read.bytes ? { fingerprint, bytes: read.bytes } : { fingerprint } }
      if (after.size === before.size && after.mtimeMs === before.mtimeMs && read.size === after.size) return last
    } catch (error) {
      if (isMissing(error)) return MISSING
      return { state: 'unreadable', error: asError(error) }
    } finally {
      await handle?.close()
    }
  }
  return last
}

async function readAll(handle: FileHandle): Promise<{ size: number; hash: string; bytes: Buffer }> {
  const bytes = await handle.readFile()
  return { size: bytes.length, hash: createHash('sha256').update(bytes).digest('hex'), bytes }
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


function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
