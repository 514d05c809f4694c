import { runChild } from '../lib/child.js'
import { summarize, type BenchRow } from '../lib/stats.js'

interface SoakResult {
  readonly heapGrowthBytes: number
  readonly perReloadMs: readonly number[]
  readonly applied: number
  readonly missed: number
  readonly leftoverHandles: readonly string[]
}

export interface SoakOptions {
  /** Transactions run with reload({ force: true }). */
  readonly transactions: number
  /** File writes, each waited for at the subscriber (slower: each goes through the watcher). */
  readonly writes: number
  readonly hotreloadMissing?: string
  readonly log: (line: string) => void
}

const MB = 1024 * 1024

/**
 * Case 4: hotreload + plugin-config in one long-lived process (soak-child.ts): heap growth
 * between a warmed-up start and the end (both after a full GC), time per transaction, and the
 * handles still open after close(). Two drivers: `reload({ force: true })` for the transaction
 * path alone, and file writes for the watcher path too.
 */
export async function benchSoak(options: SoakOptions): Promise<BenchRow[]> {
  const runs = [
    { mode: 'force', count: options.transactions, contender: 'hotreload, reload({ force: true })' },
    { mode: 'writes', count: options.writes, contender: 'hotreload, file writes (debounce 0)' },
  ] as const
  const heap: BenchRow[] = []
  const time: BenchRow[] = []
  for (const run of runs) {
    const caseName = `soak: ${run.count.toLocaleString('en-US')} transactions`
    if (options.hotreloadMissing !== undefined) {
      heap.push(summarize(`${caseName}: heap growth`, run.contender, 'MB', [], { note: `not run: ${options.hotreloadMissing}` }))
      continue
    }
    try {
      const r = await runChild<SoakResult>('soak-child.ts', [run.mode, String(run.count)], 600_000)
      const handles = r.leftoverHandles.length === 0 ? 'no handle left after close' : `left after close: ${r.leftoverHandles.join(', ')}`
      heap.push(summarize(`${caseName}: heap growth`, run.contender, 'MB', [r.heapGrowthBytes / MB], { note: handles }))
      const missed = r.missed > 0 ? `, ${r.missed} never delivered` : ''
      time.push(summarize(`${caseName}: per transaction`, run.contender, 'ms', r.perReloadMs, { note: `${r.applied} applied${missed}` }))
    } catch (error) {
      heap.push(summarize(`${caseName}: heap growth`, run.contender, 'MB', [], { note: `failed: ${error instanceof Error ? error.message : String(error)}` }))
    }
    options.log(`  soak: ${run.contender} done`)
  }
  return [...heap, ...time]
}
