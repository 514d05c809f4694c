import { performance } from 'node:perf_hooks'
import { join, sep } from 'node:path'
import { HotReloadError } from './errors.js'
import { listWatchedFiles } from './list-files.js'
import { mapLimit } from './map-limit.js'
import type { PathMatcher } from './path-matcher.js'
import { ListedStats } from './listed-stats.js'
import { isStatFingerprint, LISTED, MISSING, probeAsync, probeSync, statFingerprint, type Probe, type ReadNeeds, type Snapshot } from './read-probe.js'
import { commitToBaseline, type ChangeSource, type FileChange, type Fingerprint, type Reconciled, type ReconcileOptions } from './changes.js'

export type { Reconciled } from './changes.js'
export type { ReadNeeds } from './read-probe.js'

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
  /**
   * Whether some plugin reads a path's bytes, and its size limit. A path nobody reads is
   * fingerprinted by size and mtime, and read (from disk) only if `read()` asks for it; a file
   * over its limit is fingerprinted by stat and never read. Default: every file is read, with
   * no limit.
   */
  needs?(rel: string): ReadNeeds
  /** Overrides how far before the listing a ctime must lie to be trusted (listed-stats.ts); tests. */
  listingSlackMs?: number
}

const DEFAULT_INLINE_LIMIT = 16 * 1024 * 1024
const ASYNC_READ_CONCURRENCY = 32
// Synchronous reads run in batches; between two batches the event loop runs (watcher events,
// timers, a signal), so a large initial load never blocks it for long.
const BATCH_FILES = 256
const BATCH_BYTES = 8 * 1024 * 1024
// Large files hashed in the thread pool at once (4 threads by default): each holds its bytes.
const MAX_HASHING = 8
// A plain write truncates the file first: a reader between the truncate and the write sees an
// empty file, which a busy machine makes likely. An emptied file is re-read as soon as the
// watcher reports it again, and meanwhile every few ms, for a short while, before it is taken
// to be empty on purpose.
const DEFAULT_EMPTY_SETTLE_MS = 100
const EMPTY_RECHECK_MS = [1, 2, 4, 8, 10]
const EVERYTHING: ReadNeeds = Object.freeze({ bytes: true, maxBytes: Infinity })
const LISTED_PROBE: Probe = Object.freeze({ state: 'present', snapshot: Object.freeze({ fingerprint: LISTED }) })

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
  readonly #needs: (rel: string) => ReadNeeds
  /** Set once the first reconcile (the initial load) is done: see `#probeNeeds`. */
  #loaded = false
  /** Emptied files waiting for their next event (see `#untilWritten`). */
  readonly #waiting = new Map<string, Set<() => void>>()
  /** Files whose stat may postdate their listing: their next event is a change (listed-stats.ts). */
  readonly #unsettled = new Set<string>()
  readonly #listedStats: ListedStats
  /** When the first listing started (`Date.now()`): what a `LISTED` file's stat is compared with. */
  #listedAt: number | undefined

  constructor(root: string, matcher: PathMatcher, options: FileStateOptions = {}) {
    this.#root = root
    this.#matcher = matcher
    this.#inlineLimit = options.inlineLimitBytes ?? DEFAULT_INLINE_LIMIT
    this.#onUnreadableDirectory = options.onUnreadableDirectory
    this.#onInvalidName = options.onInvalidName
    this.#emptySettleMs = options.emptySettleMs ?? DEFAULT_EMPTY_SETTLE_MS
    this.#needs = options.needs ?? (() => EVERYTHING)
    this.#listedStats = new ListedStats({
      baseline: this.#baseline,
      absoluteOf: (rel) => absoluteOf(root, rel),
      unsettled: this.#unsettled,
      ...(options.listingSlackMs !== undefined ? { slackMs: options.listingSlackMs } : {}),
    })
  }

  /**
   * The watcher saw `rel` again: an emptied file waiting to be written is re-read now rather
   * than at its next poll. Cheap when nothing waits. Returns true when a reconcile was waiting:
   * its re-read, which comes after the event, takes the event in.
   */
  poke(rel: string): boolean {
    const waiters = this.#waiting.get(rel)
    if (!waiters) return false
    this.#waiting.delete(rel)
    for (const wake of waiters) wake()
    return true
  }

  /**
   * Lists every watched file under the root (or under `dirRel`), root-relative and sorted,
   * following symlinks. Unreadable directories go to `onUnreadableDirectory`, else reject.
   */
  scan(dirRel = ''): Promise<string[]> {
    if (!this.#loaded) this.#listedAt ??= Date.now()
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
    const unique = sortedUnique(paths)
    const force = new Set(options.force ?? [])
    const probes = await this.#probeAll(unique, options.onProgress)
    const hashingRenames = this.#hashRenameTargets(unique, probes)
    if (hashingRenames) await hashingRenames
    // Emptied files wait for their writer together; a save has none, and awaits nothing here.
    let emptied: Promise<void>[] | undefined
    for (let i = 0; i < unique.length; i++) {
      const found = probes[i]
      if (found?.state !== 'present' || found.snapshot.fingerprint.size !== 0) continue
      const path = unique[i] as string
      const previous = this.#baseline.get(path)
      if (previous === undefined || previous.size === 0) continue
      ;(emptied ??= []).push(this.#untilWritten(path, found).then((probe) => void (probes[i] = probe)))
    }
    if (emptied) await Promise.all(emptied)
    const deleted: FileChange[] = []
    const created: FileChange[] = []
    const modified: FileChange[] = []
    const noops: string[] = []
    const unreadable: { path: string; error: Error }[] = []
    unique.forEach((path, i) => {
      const found = probes[i] ?? MISSING
      const previous = this.#baseline.get(path)
      const absolutePath = absoluteOf(this.#root, path)
      if (found.state === 'unreadable') {
        unreadable.push({ path, error: found.error })
      } else if (found.state === 'missing') {
        if (previous) deleted.push({ kind: 'deleted', path, absolutePath, previous })
        else noops.push(path)
      } else {
        const { fingerprint } = found.snapshot
        const same = previous !== undefined && sameFile(previous, fingerprint) && !this.#unsettled.has(path)
        if (!previous) created.push({ kind: 'created', path, absolutePath, fingerprint })
        else if (!same || force.has(path)) modified.push({ kind: 'modified', path, absolutePath, fingerprint, previous })
        else noops.push(path)
        // Only bytes are worth keeping: `read()` re-reads anything else (a large load is mostly stat-only files).
        if (!same || force.has(path)) {
          if (found.snapshot.bytes !== undefined) this.#contents.set(path, found.snapshot)
        }
        // Known by stat until now, and its stat has not moved: the content hash replaces it.
        else if (previous.hash !== fingerprint.hash && !isStatFingerprint(fingerprint)) this.#baseline.set(path, fingerprint)
      }
    })
    const arrivals = pairRenames(deleted, created)
    this.#loaded = true
    return { changes: [...deleted, ...arrivals, ...modified], noops, unreadable }
  }

  /**
   * What to read of `rel` now. At the initial load, only what plugins declared (a file nobody
   * claims is taken in by its listing, and stat'ed after the load: a large tree starts without
   * reading it). After it, a
   * changed file is read and hashed unless a plugin claimed it with `fingerprint: 'stat'`
   * (it reads the file itself), within the plugins' size limit, so its
   * fingerprint becomes a content hash at its first change and touching it or writing the same
   * bytes again is not a change (issue 11: "do not hash ... until they first change").
   */
  #probeNeeds(rel: string): ReadNeeds {
    const needs = this.#needs(rel)
    if (needs.bytes || needs.statOnly === true || !this.#loaded) return needs
    return needs.maxBytes === Infinity ? EVERYTHING : { bytes: true, maxBytes: needs.maxBytes }
  }

  /**
   * Probes `paths` (sorted, unique): small files synchronously, in batches with a turn of the
   * event loop between them, larger ones through the thread pool a few at a time; progress per
   * batch.
   */
  async #probeAll(paths: readonly string[], onProgress?: (done: number, total: number) => void): Promise<Probe[]> {
    const probes = new Array<Probe>(paths.length)
    const later: number[] = []
    // One file is the single-save path: nothing to overlap, hash inline.
    const offload = paths.length > 1
    let hashing: Promise<void>[] = []
    let files = 0
    let bytes = 0
    for (let i = 0; i < paths.length; i++) {
      const rel = paths[i] as string
      if (!this.#matcher.isWatched(rel)) {
        probes[i] = MISSING
        continue
      }
      const needs = this.#probeNeeds(rel)
      // The initial load takes a file no plugin reads by its listing; its stat follows the load.
      if (!this.#loaded && !needs.bytes && needs.statOnly !== true) {
        probes[i] = LISTED_PROBE
        continue
      }
      const found = probeSync(absoluteOf(this.#root, rel), needs, offload)
      if (found === undefined) later.push(i)
      else if (found instanceof Promise) {
        hashing.push(found.then((probe) => void (probes[i] = probe)))
      } else {
        probes[i] = found
        if (found.state === 'present') bytes += found.snapshot.bytes?.length ?? 0
      }
      files++
      if ((files >= BATCH_FILES || bytes >= BATCH_BYTES || hashing.length >= MAX_HASHING) && i < paths.length - 1) {
        files = 0
        bytes = 0
        await Promise.all(hashing)
        hashing = []
        onProgress?.(i + 1 - later.length, paths.length)
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
    }
    if (hashing.length > 0) await Promise.all(hashing)
    let done = paths.length - later.length
    onProgress?.(done, paths.length)
    if (later.length === 0) return probes
    await mapLimit(later, ASYNC_READ_CONCURRENCY, async (i) => {
      const rel = paths[i] as string
      probes[i] = await probeAsync(absoluteOf(this.#root, rel), this.#probeNeeds(rel), this.#inlineLimit)
      onProgress?.(++done, paths.length)
    })
    return probes
  }

  /**
   * A rename pairs a deleted and a created path by content hash. When a hashed file is gone in
   * this batch, the new files fingerprinted by stat only are hashed too, so that a claimed file
   * moved to where nobody reads still pairs (and a rename keeps its size and mtime, which pairs
   * an unread file moved anywhere: see `pairRenames`).
   */
  #hashRenameTargets(paths: readonly string[], probes: Probe[]): Promise<void> | undefined {
    const goneHashed = paths.some((path, i) => {
      const previous = this.#baseline.get(path)
      return probes[i]?.state === 'missing' && previous !== undefined && !isStatFingerprint(previous)
    })
    // Nothing hashed is gone (every save): no promise to wait for.
    if (!goneHashed) return undefined
    return this.#hashNewFiles(paths, probes)
  }

  async #hashNewFiles(paths: readonly string[], probes: Probe[]): Promise<void> {
    for (let i = 0; i < paths.length; i++) {
      const rel = paths[i] as string
      const found = probes[i]
      if (found?.state !== 'present' || this.#baseline.has(rel) || !isStatFingerprint(found.snapshot.fingerprint)) continue
      const needs = this.#needs(rel)
      if (found.snapshot.fingerprint.size > needs.maxBytes) continue
      const absolute = absoluteOf(this.#root, rel)
      const eager = { bytes: true, maxBytes: needs.maxBytes }
      probes[i] = (await probeSync(absolute, eager)) ?? (await probeAsync(absolute, eager, this.#inlineLimit))
    }
  }

  /**
   * Re-reads an emptied file until it has content, is gone, or the settle time is over: at
   * once when the watcher reports the path again (the writer's write after its truncate), else
   * after a short, growing pause.
   */
  async #untilWritten(rel: string, empty: Probe): Promise<Probe> {
    const absolute = absoluteOf(this.#root, rel)
    const deadline = performance.now() + this.#emptySettleMs
    let last = empty
    for (let attempt = 0; performance.now() < deadline; attempt++) {
      const pause = EMPTY_RECHECK_MS[Math.min(attempt, EMPTY_RECHECK_MS.length - 1)] as number
      await this.#nextEvent(rel, Math.min(pause, Math.max(0, deadline - performance.now())))
      const needs = this.#probeNeeds(rel)
      last = (await probeSync(absolute, needs)) ?? (await probeAsync(absolute, needs, this.#inlineLimit))
      if (last.state !== 'present' || last.snapshot.fingerprint.size > 0) return last
    }
    return last
  }

  /** Resolves at the next `poke(rel)` or after `ms`, whichever is first. */
  #nextEvent(rel: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#waiting.get(rel)
      if (!waiters) this.#waiting.set(rel, (waiters = new Set()))
      const wake = (): void => {
        clearTimeout(timer)
        waiters.delete(wake)
        if (waiters.size === 0 && this.#waiting.get(rel) === waiters) this.#waiting.delete(rel)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      waiters.add(wake)
    })
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
    const byStat = isStatFingerprint(expected)
    const { maxBytes } = this.#needs(change.path)
    if (byStat && expected.size > maxBytes) {
      throw new HotReloadError('HR_FILE_TOO_LARGE', `${change.path} is ${expected.size} bytes, over the ${maxBytes}-byte limit a plugin set for it: it was not read`, {
        path: change.path,
        hint: 'Make the file smaller, or raise the size limit of the plugin that watches it (e.g. maxFileBytes).',
      })
    }
    const found = await probeAsync(change.absolutePath, EVERYTHING, Infinity)
    if (found.state === 'present' && found.snapshot.bytes && matches(found.snapshot.fingerprint, expected)) return found.snapshot.bytes
    const now = found.state === 'present' ? 'different content' : found.state === 'missing' ? 'nothing (it was removed)' : `an error (${found.error.message})`
    throw new HotReloadError('HR_FILE_CHANGED', `${change.path} changed on disk during the transaction: it now holds ${now}`, {
      path: change.path,
      hint: 'Nothing to do: the next transaction picks up the new state.',
      cause: found.state === 'unreadable' ? found.error : undefined,
    })
  }

  /** Takes the changes of a committed transaction into the baseline. */
  commit(changes: readonly FileChange[]): void {
    commitToBaseline(this.#baseline, changes)
    let listed: string[] | undefined
    for (const change of changes) {
      this.#unsettled.delete(change.path)
      if (change.from !== undefined) this.#unsettled.delete(change.from)
      if (change.fingerprint === LISTED) (listed ??= []).push(change.path)
    }
    if (listed) this.#listedStats.fill(listed, this.#listedAt ?? Date.now())
  }

  /** Stops the background work (the stats of listed files). Idempotent. */
  stop(): void {
    this.#listedStats.stop()
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
    // Known by its listing alone: nothing to recognise it by.
    if (hash !== undefined && hash !== LISTED.hash) byHash.set(hash, [...(byHash.get(hash) ?? []), gone])
  }
  // `created` follows the sorted paths already; only pairing below can change the order.
  if (byHash.size === 0) return created
  const arrivals = created.map((change): FileChange => {
    const fingerprint = change.fingerprint
    // A file nobody read was fingerprinted by stat: a rename keeps its size and mtime.
    const candidates = fingerprint ? (byHash.get(fingerprint.hash) ?? byHash.get(statFingerprint(fingerprint).hash)) : undefined
    const gone = candidates?.shift()
    if (!gone) return change
    deleted.splice(deleted.indexOf(gone), 1)
    return { kind: 'renamed', path: change.path, absolutePath: change.absolutePath, from: gone.path, fingerprint: change.fingerprint, previous: gone.previous }
  })
  return arrivals.sort((a, b) => compare(a.path, b.path))
}

/**
 * Whether a probe finds the file the baseline describes: the same hash, or, against a baseline
 * taken by stat, the same size and mtime (a re-listed directory is not a change of every file).
 */
function sameFile(previous: Fingerprint, found: Fingerprint): boolean {
  if (previous.hash === found.hash) return true
  return isStatFingerprint(previous) && previous.size === found.size && previous.mtimeMs === found.mtimeMs
}

/**
 * Whether bytes just read are those `expected` describes: the same sha256, or, for a file
 * fingerprinted by stat (nobody had read it), the same size and mtime.
 */
function matches(found: Fingerprint, expected: Fingerprint): boolean {
  // Listed, never stat'ed: whatever is there now is what the change stands for.
  if (expected === LISTED) return true
  if (!isStatFingerprint(expected)) return found.hash === expected.hash
  return found.size === expected.size && found.mtimeMs === expected.mtimeMs
}

/**
 * The absolute path of a root-relative posix path. `root` is resolved (absolute, normalized)
 * and `rel` is normalized, so on posix the two joined by a slash are what `join` returns,
 * without normalizing both again: `join` was ~1.7 µs a path, 10,000 times in a large load.
 */
function absoluteOf(root: string, rel: string): string {
  if (sep !== '/') return join(root, rel)
  return root.endsWith('/') ? root + rel : `${root}/${rel}`
}

/**
 * `paths` without repeats, sorted. A load hands over its listing, which is sorted and unique
 * already: checking that is one pass, where sorting 10,000 paths again took ~8 ms.
 */
function sortedUnique(paths: Iterable<string>): string[] {
  const list = Array.isArray(paths) ? (paths as string[]) : [...paths]
  for (let i = 1; i < list.length; i++) {
    if (!((list[i - 1] as string) < (list[i] as string))) return [...new Set(list)].sort()
  }
  return list === paths ? [...list] : list
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
