import { performance } from 'node:perf_hooks'

/** How far the initial load has read: `done` of the `total` watched files. */
export interface LoadProgress {
  /** Files read (or found unreadable or gone) so far. */
  readonly done: number
  /** Files the initial listing found. */
  readonly total: number
}

/** How often, at most, a progress listener hears of the files read in between. */
export const LOAD_PROGRESS_INTERVAL_MS = 100

/**
 * Wraps a progress listener so that a change source can call it for every file at no measurable
 * cost: the first call (`done: 0`) and the last (`done === total`) always get through, the calls
 * in between at most once per `intervalMs`, and nothing twice or after the last. A listener that
 * throws goes to `onError` and is not called again.
 */
export function throttleProgress(
  listener: (progress: LoadProgress) => void,
  onError: (error: unknown) => void,
  intervalMs = LOAD_PROGRESS_INTERVAL_MS,
): (done: number, total: number) => void {
  let last = -Infinity
  let lastDone = -1
  let finished = false
  return (done, total) => {
    if (finished || done === lastDone) return
    const now = performance.now()
    const final = done >= total
    if (!final && lastDone >= 0 && now - last < intervalMs) return
    last = now
    lastDone = done
    finished = final
    try {
      listener(Object.freeze({ done, total }))
    } catch (error) {
      finished = true
      onError(error)
    }
  }
}
