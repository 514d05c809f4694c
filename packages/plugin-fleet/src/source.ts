import { join } from 'node:path'
import { commitToBaseline, mapLimit, type FileChange, type Fingerprint } from '@hotreload/core'
import { FleetError } from './errors.js'
import type { ChangeSource, Reconciled } from './kernel-adapter.js'
import type { FleetStore } from './store.js'
import type { Manifest } from './types.js'

const FETCH_CONCURRENCY = 16

/**
 * A member's change source: the files of one fleet version, read from Redis. `target` is the
 * manifest the next transaction moves to; the baseline is what this member committed. Bytes are
 * fetched in `reconcile` and checked against their sha256, so `read()` returns exactly the
 * bytes the fingerprint hashes; a missing or corrupt blob makes its path unreadable, which
 * rejects the transaction with the blob's error (a NACK with a clear reason).
 */
export class FleetSource implements ChangeSource {
  readonly name = 'fleet'
  readonly #root: string
  readonly #store: FleetStore
  readonly #baseline = new Map<string, Fingerprint>()
  readonly #bytes = new Map<string, Buffer>()
  #target: Manifest = { files: {} }
  #loadTarget: () => Promise<void>
  #onError: ((error: Error) => void) | undefined

  constructor(root: string, store: FleetStore, loadInitial: () => Promise<void>) {
    this.#root = root
    this.#store = store
    this.#loadTarget = loadInitial
  }

  /** The manifest the next transaction reconciles against. */
  setTarget(manifest: Manifest): void {
    this.#target = manifest
  }

  /** Every path of the target and of the baseline: what a fleet transaction reconsiders. */
  paths(): string[] {
    return [...new Set([...Object.keys(this.#target.files), ...this.#baseline.keys()])].sort()
  }

  /** Reports an error as the kernel's `error` event (through the source's onError). */
  reportError(error: Error): boolean {
    if (!this.#onError) return false
    this.#onError(error)
    return true
  }

  async scan(): Promise<readonly string[]> {
    // The first scan is the initial load: it fetches the version this member should serve.
    const load = this.#loadTarget
    this.#loadTarget = async () => {}
    await load()
    return Object.keys(this.#target.files).sort()
  }

  async reconcile(paths: Iterable<string>, options: { readonly force?: Iterable<string> } = {}): Promise<Reconciled> {
    const force = new Set(options.force ?? [])
    const unique = [...new Set(paths)].sort()
    const deleted: FileChange[] = []
    const created: FileChange[] = []
    const modified: FileChange[] = []
    const noops: string[] = []
    const unreadable: { path: string; error: Error }[] = []
    const toFetch: string[] = []
    for (const path of unique) {
      const entry = this.#target.files[path]
      const previous = this.#baseline.get(path)
      const absolutePath = join(this.#root, path)
      if (!entry) {
        if (previous) deleted.push({ kind: 'deleted', path, absolutePath, previous })
        else noops.push(path)
        continue
      }
      if (previous && previous.hash === entry.hash && !force.has(path)) {
        noops.push(path)
        continue
      }
      toFetch.push(path)
    }
    const fetched = await mapLimit(toFetch, FETCH_CONCURRENCY, async (path) => {
      const entry = this.#target.files[path] as { hash: string; size: number }
      try {
        return { path, bytes: await this.#store.getBlob(entry.hash, path) }
      } catch (error) {
        return { path, error: error instanceof Error ? error : new Error(String(error)) }
      }
    })
    for (const result of fetched) {
      if (result.error) {
        unreadable.push({ path: result.path, error: result.error })
        continue
      }
      const entry = this.#target.files[result.path] as { hash: string; size: number }
      const previous = this.#baseline.get(result.path)
      // mtime has no meaning for a blob; 0 keeps fingerprints equal for equal bytes.
      const fingerprint: Fingerprint = { size: result.bytes.length, mtimeMs: 0, hash: entry.hash }
      this.#bytes.set(result.path, result.bytes)
      const absolutePath = join(this.#root, result.path)
      if (previous) modified.push({ kind: 'modified', path: result.path, absolutePath, fingerprint, previous })
      else created.push({ kind: 'created', path: result.path, absolutePath, fingerprint })
    }
    return { changes: [...deleted, ...created, ...modified], noops, unreadable }
  }

  async read(change: FileChange): Promise<Buffer> {
    const bytes = this.#bytes.get(change.path)
    if (bytes && change.fingerprint && change.kind !== 'deleted') return bytes
    if (change.kind === 'deleted' || !change.fingerprint) {
      throw new FleetError('HR_FLEET_READ_DELETED', `${change.path} was deleted: it has no content to read`, { path: change.path, hint: 'Check change.kind before reading.' })
    }
    // Released already (a late read): fetch again, checked against the same hash.
    return this.#store.getBlob(change.fingerprint.hash, change.path)
  }

  commit(changes: readonly FileChange[]): void {
    commitToBaseline(this.#baseline, changes)
  }

  release(): void {
    this.#bytes.clear()
  }

  size(): number {
    return this.#baseline.size
  }

  /** The fleet plugin drives transactions itself (`reload`); watch only keeps the error channel. */
  async watch(_onDirty: (paths: readonly string[]) => void, onError: (error: Error) => void): Promise<{ close(): Promise<void> }> {
    this.#onError = onError
    return {
      close: async () => {
        this.#onError = undefined
      },
    }
  }
}

