/** What happened to one file, as reconciled against the last applied state. */
export type ChangeKind = 'created' | 'modified' | 'deleted' | 'renamed'

/**
 * Size, modification time and sha256 of a file's bytes: identical bytes mean no change. A file
 * no plugin reads is fingerprinted by size and mtime (`hash` is `stat:<size>:<mtimeMs>`); in
 * the initial load such a file is known by its listing alone (`size` and `mtimeMs` are -1,
 * `hash` is `stat:listed`) and stat'ed just after the load is committed.
 */
export interface Fingerprint {
  readonly size: number
  readonly mtimeMs: number
  readonly hash: string
}

/**
 * One file change inside a transaction. Paths are relative to the root with `/` separators.
 * `fingerprint` is the state when the batch was built (absent for `deleted`); `previous` is the
 * fingerprint last applied (absent for `created`). `absolutePath` is where the file lives (or
 * would live) under the root, also for a change source whose bytes are not on the local disk.
 */
export interface FileChange {
  readonly kind: ChangeKind
  readonly path: string
  readonly absolutePath: string
  /** For `renamed`: the root-relative path the content used to live at. */
  readonly from?: string
  readonly fingerprint?: Fingerprint
  readonly previous?: Fingerprint
}

/** A change reduced to what events and history carry. */
export interface ChangeSummary {
  readonly kind: ChangeKind
  readonly path: string
  readonly from?: string
}

/** What `ChangeSource.reconcile` found for a set of dirty paths. */
export interface Reconciled {
  /** Ordered: deleted, then created and renamed, then modified; by path within each group. */
  readonly changes: readonly FileChange[]
  /** Paths whose event changed nothing: same bytes, a touch, or created and deleted again. */
  readonly noops: readonly string[]
  /** Paths that exist but could not be read (EACCES, EIO...); they are neither changed nor kept. */
  readonly unreadable: readonly { readonly path: string; readonly error: Error }[]
}

/** Options of `ChangeSource.reconcile`. */
export interface ReconcileOptions {
  /** Paths reported as `modified` even when their bytes equal the baseline. */
  readonly force?: Iterable<string>
  /**
   * Called as the paths are read, with how many of the `total` distinct paths are done: the
   * initial load's progress display. Call it per file or per batch, or never; the kernel
   * throttles it before it reaches anyone, so a call costs a comparison.
   */
  readonly onProgress?: (done: number, total: number) => void
}

/**
 * Where a transaction's changes and bytes come from. The default source is the local files
 * under the root (fingerprints: size, mtime, sha256), driven by the watcher backend. A plugin may
 * supply another one with `kernel.useChangeSource()` (the fleet plugin reads content-addressed
 * blobs from a shared store). Every source keeps one promise: `read()` returns exactly the bytes
 * the change's fingerprint hashes, or rejects.
 */
export interface ChangeSource {
  /** Shown in errors and `status()`. */
  readonly name: string
  /** Every path the source holds now, root-relative and sorted: the initial load and `reload()`. */
  scan(): Promise<readonly string[]>
  /** Compares the current state of `paths` with the committed baseline and returns the changes. */
  reconcile(paths: Iterable<string>, options?: ReconcileOptions): Promise<Reconciled>
  /** The bytes of a reconciled change, exactly those its fingerprint hashes. Rejects for `deleted`. */
  read(change: FileChange): Promise<Buffer>
  /** Takes a committed transaction's changes into the baseline. */
  commit(changes: readonly FileChange[]): void
  /** Drops whatever `reconcile` kept for `read`; called when every transaction ends. */
  release(): void
  /** Paths in the committed baseline now. */
  size(): number
  /**
   * Starts reporting dirty paths, resolving once the source is ready. The local-files source has
   * none: the kernel's watcher backend drives it. A source without `watch` and that is not the
   * local-files source only changes through `reload()`.
   */
  watch?(onDirty: (paths: readonly string[]) => void, onError: (error: Error) => void): Promise<{ close(): Promise<void> }>
}

/**
 * Takes the changes of a committed transaction into a source's `baseline` (path → fingerprint):
 * a deleted path and a rename's old path leave it, every other change's new fingerprint enters
 * it. What a `ChangeSource.commit()` does with its own map.
 */
export function commitToBaseline(baseline: Map<string, Fingerprint>, changes: readonly FileChange[]): void {
  for (const change of changes) {
    if (change.kind === 'deleted') baseline.delete(change.path)
    if (change.kind === 'renamed' && change.from !== undefined) baseline.delete(change.from)
    if (change.kind !== 'deleted' && change.fingerprint) baseline.set(change.path, change.fingerprint)
  }
}
