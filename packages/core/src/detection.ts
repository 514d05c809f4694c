import { createDebouncer } from './debouncer.js'
import type { ChangeSource } from './changes.js'
import type { WatcherError } from './errors.js'
import type { FileState } from './file-state.js'
import type { PathMatcher } from './path-matcher.js'
import type { Counters } from './plugin.js'
import type { ResolvedOptions } from './settings.js'
import type { RawEventKind, WatcherBackend } from './watchers/backend.js'

/** A running detection: events in, debounced batches of dirty paths out. */
export interface Detection {
  /** Paths collected for the next batch. */
  pending(): readonly string[]
  /** Ends the batch being collected now and returns its paths (they join the next transaction). */
  takePending(): string[]
  /** Starts watching directories a late `include()` allowed. */
  refresh(): void
  /** Stops the watcher and drops the pending batch. Idempotent. */
  close(): Promise<void>
}

export interface FileDetectionOptions {
  readonly backend: WatcherBackend
  readonly files: FileState
  readonly matcher: PathMatcher
  readonly options: Pick<ResolvedOptions, 'root' | 'debounceMs' | 'maxWaitMs' | 'usePolling'>
  readonly counters: Pick<Counters, 'rawEvents' | 'batches'>
  /** Receives each debounced batch of dirty paths. */
  onBatch(paths: string[]): void
  onError(error: WatcherError): void
}

/**
 * Watches the local files: the watcher backend's raw events go through the debouncer, and each
 * batch of dirty paths to `onBatch` (the transaction queue). Resolves once the backend is ready.
 */
export async function startFileDetection(o: FileDetectionOptions): Promise<Detection> {
  const debouncer = createDebouncer({
    debounceMs: o.options.debounceMs,
    maxWaitMs: o.options.maxWaitMs,
    onFlush: (paths) => {
      o.counters.batches++
      o.onBatch(paths)
    },
  })
  const onEvent = (kind: RawEventKind, rel: string): void => {
    o.counters.rawEvents++
    // An emptied file waiting for its writer's write is re-read now (see FileState.poke), and
    // that re-read takes the event in: the write after a truncate starts no batch of its own,
    // which would only find the same bytes again.
    if (o.files.poke(rel) && (kind === 'add' || kind === 'change')) return
    // The watcher lists a new directory itself and reports its files; a deleted directory can
    // arrive as that one event, so every applied file below it is reconciled.
    if (kind === 'addDir') return
    if (kind === 'unlinkDir') {
      for (const p of o.files.under(rel)) debouncer.add(p)
      return
    }
    debouncer.add(rel)
  }
  const watcher = await o.backend.start({
    root: o.options.root,
    matcher: o.matcher,
    usePolling: o.options.usePolling,
    // A backend may hold an unlink back this long to see whether the path comes back: shorter
    // than the debounce, so both halves of a rename still land in one batch and pair up.
    atomicMs: o.options.debounceMs === 0 ? 0 : Math.min(25, Math.floor(o.options.debounceMs / 2)),
    onEvent,
    onError: o.onError,
  })
  let closing: Promise<void> | undefined
  return {
    pending: () => debouncer.pending(),
    takePending: () => debouncer.flushNow(),
    refresh: () => watcher.refresh?.(),
    close() {
      closing ??= (async () => {
        debouncer.close()
        await watcher.close()
      })()
      return closing
    },
  }
}

/** Lets a plugin-supplied change source report its own dirty paths, as batches. */
export async function startSourceDetection(source: ChangeSource, onBatch: (paths: string[]) => void, onError: (error: Error) => void): Promise<Detection> {
  const watching = source.watch ? await source.watch((paths) => onBatch([...paths]), onError) : undefined
  let closing: Promise<void> | undefined
  return {
    pending: () => [],
    takePending: () => [],
    refresh: () => undefined,
    close() {
      closing ??= watching ? watching.close() : Promise.resolve()
      return closing
    },
  }
}
