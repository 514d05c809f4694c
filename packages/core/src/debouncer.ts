/** Collects dirty paths into batches; see `createDebouncer`. */
export interface Debouncer {
  /** Marks a root-relative path dirty; starts or extends the current batch. Ignored after close(). */
  add(rel: string): void
  /**
   * Ends the current batch now and returns its paths (in the order they were first added)
   * without calling `onFlush`; the caller runs them itself. Returns [] when nothing is pending.
   */
  flushNow(): string[]
  /** The paths of the batch being collected. */
  pending(): readonly string[]
  /** Cancels the timers and drops the pending batch. Idempotent. */
  close(): void
}

export interface DebouncerOptions {
  /** Quiet period: the batch flushes once no path was added for this long. 0 = next macrotask. */
  debounceMs: number
  /** Longest a batch waits after its first path, so a file written continuously still reloads. */
  maxWaitMs: number
  /** Receives each batch. Runs from a timer, so it must not throw unless `onError` is given. */
  onFlush(paths: string[]): void
  /** Receives what `onFlush` threw; without it the error propagates from the timer. */
  onError?(error: unknown): void
}

/**
 * A trailing debounce over the whole batch: it flushes when no new path arrived for
 * `debounceMs`, or `maxWaitMs` after the batch's first path, whichever comes first. Paths are a
 * set: repeated events for one path are one entry, and reconciliation decides what changed.
 * Timers stay referenced while a batch is pending, so the process does not exit with a change
 * unapplied; `close()` clears them.
 */
export function createDebouncer(options: DebouncerOptions): Debouncer {
  const { debounceMs, maxWaitMs } = options
  let paths = new Set<string>()
  let quietTimer: NodeJS.Timeout | undefined
  let immediate: NodeJS.Immediate | undefined
  let maxTimer: NodeJS.Timeout | undefined
  let closed = false

  function clearTimers(): void {
    if (quietTimer) clearTimeout(quietTimer)
    if (immediate) clearImmediate(immediate)
    if (maxTimer) clearTimeout(maxTimer)
    quietTimer = immediate = maxTimer = undefined
  }

  function take(): string[] {
    clearTimers()
    const batch = [...paths]
    paths = new Set()
    return batch
  }

  function flush(): void {
    const batch = take()
    if (batch.length === 0) return
    if (!options.onError) {
      options.onFlush(batch)
      return
    }
    try {
      options.onFlush(batch)
    } catch (error) {
      options.onError(error)
    }
  }

  return {
    add(rel) {
      if (closed) return
      const first = paths.size === 0
      paths.add(rel)
      if (first && maxWaitMs > 0 && debounceMs > 0) maxTimer = setTimeout(flush, maxWaitMs)
      if (debounceMs === 0) {
        // Everything that arrives in the same turn of the event loop (one burst of fs events) is one batch.
        immediate ??= setImmediate(flush)
        return
      }
      if (quietTimer) clearTimeout(quietTimer)
      quietTimer = setTimeout(flush, debounceMs)
    },
    flushNow: take,
    pending: () => [...paths],
    close() {
      closed = true
      clearTimers()
      paths = new Set()
    },
  }
}
