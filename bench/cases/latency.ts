import { performance } from 'node:perf_hooks'
import type { Contender } from '../lib/contender.js'
import { closeAll, fileOf, rotate, startAll } from '../lib/run-contenders.js'
import { configContent, sleep } from '../lib/project.js'
import { summarize, type BenchRow } from '../lib/stats.js'

export interface LatencyEntry {
  readonly contender: Contender
  /** Measured saves for this contender (slow ones get fewer, spread evenly over the rounds). */
  readonly iterations: number
  /** How long to wait for the new value before counting the save as missed. */
  readonly timeoutMs: number
}

export interface LatencyOptions {
  readonly rounds: number
  readonly warmup: number
  /** Pause after each delivery so trailing events of one save do not overlap the next. */
  readonly settleMs: number
  readonly log: (line: string) => void
}

const CASE = 'latency: one save'
const NAME = 'app'

/** Whether `entry` takes part in round `i` of `rounds`: its iterations spread evenly. */
function scheduled(entry: LatencyEntry, i: number, rounds: number): boolean {
  const k = Math.min(entry.iterations, rounds)
  return Math.floor(((i + 1) * k) / rounds) > Math.floor((i * k) / rounds)
}

/**
 * Case 1: one config file saved, timed from the moment `writeFile` resolves to the moment the
 * subscriber holds the new value. Contenders alternate round-robin, in a rotating order.
 */
export async function benchLatency(entries: readonly LatencyEntry[], options: LatencyOptions): Promise<BenchRow[]> {
  const started = await startAll(entries.map((e) => e.contender), [NAME], 0)
  const samples = new Map<Contender, number[]>(entries.map((e) => [e.contender, []]))
  const missed = new Map<Contender, number>(entries.map((e) => [e.contender, 0]))
  let early = 0
  let value = 1
  const total = options.warmup + options.rounds
  for (let i = 0; i < total; i++) {
    const warm = i < options.warmup
    for (const s of rotate(started, i)) {
      const entry = entries.find((e) => e.contender === s.contender)
      if (!entry || !s.watching || (!warm && !scheduled(entry, i - options.warmup, options.rounds))) continue
      if (warm && i > 0 && entry.iterations < options.rounds) continue
      const expected = new Map([[NAME, ++value]])
      const delivered = s.watching.waitFor(expected, entry.timeoutMs)
      await s.project.write(fileOf(s.contender, NAME), configContent(value))
      const written = performance.now()
      const at = await delivered
      if (!warm) {
        if (at === null) missed.set(s.contender, (missed.get(s.contender) ?? 0) + 1)
        else {
          if (at < written) early++
          samples.get(s.contender)?.push(Math.max(0, at - written))
        }
      }
      await sleep(options.settleMs)
    }
    if ((i + 1) % 10 === 0) options.log(`  latency: round ${i + 1}/${total}`)
  }
  const problems = await closeAll(started)
  for (const p of problems) options.log(`  ${p}`)
  if (early > 0) options.log(`  latency: ${early} deliveries landed before writeFile resolved (counted as 0 ms)`)
  return started.map((s, index) => {
    const n = missed.get(s.contender) ?? 0
    const note = s.error !== undefined ? `not run: ${s.error}` : n > 0 ? `missed ${n} of ${n + (samples.get(s.contender)?.length ?? 0)} saves (stale value)` : ''
    return summarize(CASE, s.contender.name, 'ms', samples.get(s.contender) ?? [], { baseline: index === 0, note })
  })
}
