import { performance } from 'node:perf_hooks'
import type { LoadProgress } from './load-progress.js'

/**
 * An initial load of more files than this is summarized rather than listed: one line, not a
 * line with every path (169 KB for 5,000 files) and a plugin event line per file (issue 11).
 */
export const LOAD_LIST_LIMIT = 1000

/** "5,000": counts as people read them, whatever the machine's locale. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

/** "850 ms", "1.2 s", "14 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`
}

/** "4,100 files/s", from a count and the milliseconds it took. */
export function formatRate(files: number, ms: number): string {
  return `${formatCount(Math.round((files * 1000) / Math.max(ms, 1)))} files/s`
}

export interface LoadDisplayOptions {
  /** Draw the updating progress line: stderr is a terminal, and not --quiet or --json. */
  readonly live: boolean
  /** Where the progress line goes (stderr): written without a newline, redrawn after `\r`. */
  readonly write: (text: string) => void
  /** Whether the printer lists every file anyway (--verbose). */
  readonly listAll: boolean
  readonly now?: () => number
}

/**
 * The initial load as the CLI shows it. The kernel's `onLoadProgress` feeds `progress()`; the
 * printer calls `clear()` before every line it prints (so the progress line never ends up
 * inside one), and `summary()` for the head of the line that replaces the per-file list.
 */
export function createLoadDisplay({ live, write, listAll, now = () => performance.now() }: LoadDisplayOptions) {
  let total: number | undefined
  let started = 0
  let shown = 0
  let ended = false
  const big = () => total !== undefined && total > LOAD_LIST_LIMIT

  function draw(text: string): void {
    // Padding over the last text rather than an erase sequence: works on any terminal, TERM=dumb too.
    write(`\r${text.padEnd(shown)}`)
    shown = text.length
  }

  return {
    /** The kernel's `onLoadProgress` listener. */
    progress({ done, total: all }: LoadProgress): void {
      if (ended) return
      if (total === undefined) started = now()
      total = all
      if (!live || !big()) return
      const elapsed = now() - started
      const rate = done > 0 && elapsed > 0 ? ` (${formatRate(done, elapsed)})` : ''
      draw(done < all ? `loading ${formatCount(done)} of ${formatCount(all)} files${rate}` : `loaded ${formatCount(all)} files${rate}, validating...`)
    },
    /** Removes the progress line, if one is showing; the next `progress()` draws it again. */
    clear(): void {
      if (shown === 0) return
      write(`\r${' '.repeat(shown)}\r`)
      shown = 0
    },
    /**
     * Ends the load display and returns the head of its summary line, or undefined when this
     * load is listed file by file: `loaded 5,000 files in 1.2 s (4,100 files/s)`.
     */
    summary(durationMs: number): string | undefined {
      const summarize = !ended && !listAll && big()
      this.clear()
      ended = true
      if (!summarize || total === undefined) return undefined
      return `loaded ${formatCount(total)} files in ${formatDuration(durationMs)} (${formatRate(total, durationMs)})`
    },
  }
}

/** What `createLoadDisplay` returns. */
export type LoadDisplay = ReturnType<typeof createLoadDisplay>

/**
 * A change list too long to print path by path, as counts by kind: `3,000 files (2,990
 * modified, 10 created)`. Undefined when the list is short enough to print.
 */
export function countChanges(changes: readonly { readonly kind: string }[]): string | undefined {
  if (changes.length <= LOAD_LIST_LIMIT) return undefined
  const byKind = new Map<string, number>()
  for (const c of changes) byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1)
  return `${formatCount(changes.length)} files (${[...byKind].map(([kind, n]) => `${formatCount(n)} ${kind}`).join(', ')})`
}
