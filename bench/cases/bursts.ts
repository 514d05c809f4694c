import { performance } from 'node:perf_hooks'
import type { Contender, Watching } from '../lib/contender.js'
import { closeAll, fileOf, rotate, startAll, type Started } from '../lib/run-contenders.js'
import { configContent, configName, sleep } from '../lib/project.js'
import { summarize, type BenchRow } from '../lib/stats.js'

export interface BurstEntry {
  readonly contender: Contender
  /** How long to wait for the final state before calling the result stale. */
  readonly timeoutMs: number
  /** No reload for this long means the contender has settled (restarts need longer). */
  readonly quietMs: number
  /** Left out of the many-files burst (with the reason, printed in its place). */
  readonly skipCheckout?: string
}

export interface BurstOptions {
  readonly repetitions: number
  /** Files in the checkout-like burst. */
  readonly files: number
  /** Saves of one file, spread evenly over `savesWindowMs`. */
  readonly saves: number
  readonly savesWindowMs: number
  readonly log: (line: string) => void
}

interface Outcome {
  readonly reloads: number
  /** From the last write resolving to the subscriber holding the final state; null if it never did. */
  readonly settleMs: number | null
  readonly final: boolean
}

/** Waits until `watching` has run no reload for `quietMs` (bounded, so a busy loop cannot hang the bench). */
async function quiet(watching: Watching, quietMs: number): Promise<void> {
  const deadline = performance.now() + 30_000
  let last = watching.reloads()
  let since = performance.now()
  while (performance.now() < deadline) {
    await sleep(25)
    const now = watching.reloads()
    if (now !== last) {
      last = now
      since = performance.now()
    } else if (performance.now() - since >= quietMs) return
  }
}

function same(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  for (const [name, value] of a) if (b.get(name) !== value) return false
  return true
}

/** Runs `burst` against every started contender, `repetitions` times, round-robin. */
async function measure(
  started: readonly Started[],
  entries: readonly BurstEntry[],
  repetitions: number,
  burst: (s: Started, value: number) => Promise<{ expected: Map<string, number>; writes: Promise<void> }>,
): Promise<Map<Contender, Outcome[]>> {
  const outcomes = new Map<Contender, Outcome[]>(started.map((s) => [s.contender, []]))
  let value = 1
  for (let rep = 0; rep < repetitions; rep++) {
    for (const s of rotate(started, rep)) {
      const entry = entries.find((e) => e.contender === s.contender)
      if (!entry || !s.watching) continue
      value += 1000
      const before = s.watching.reloads()
      const { expected, writes } = await burst(s, value)
      const delivered = s.watching.waitFor(expected, entry.timeoutMs)
      await writes
      const written = performance.now()
      const at = await delivered
      await quiet(s.watching, entry.quietMs)
      const final = same(expected, await s.watching.snapshot())
      outcomes.get(s.contender)?.push({ reloads: s.watching.reloads() - before, settleMs: at === null ? null : Math.max(0, at - written), final })
    }
  }
  return outcomes
}

/**
 * Rows of one burst. Reload counts get no baseline: fewer is not better by itself (one reload
 * that ends stale is worse than many that end right), so the note carries the verdict.
 */
function rows(caseName: string, started: readonly Started[], outcomes: Map<Contender, Outcome[]>, skipped: readonly BurstEntry[] = []): BenchRow[] {
  const out: BenchRow[] = []
  started.forEach((s) => {
    const list = outcomes.get(s.contender) ?? []
    const good = list.filter((o) => o.final).length
    const note = s.error !== undefined ? `not run: ${s.error}` : `final state = disk: ${good}/${list.length}`
    out.push(summarize(`${caseName}: reloads`, s.contender.name, '', list.map((o) => o.reloads), { note }))
  })
  for (const e of skipped) {
    out.push({ case: `${caseName}: reloads`, contender: e.contender.name, unit: '', median: null, p90: null, samples: 0, note: `not run: ${e.skipCheckout ?? ''}` })
  }
  started.forEach((s, index) => {
    const list = outcomes.get(s.contender) ?? []
    const stale = list.filter((o) => o.settleMs === null).length
    const settled = list.flatMap((o) => (o.settleMs === null ? [] : [o.settleMs]))
    const note = s.error !== undefined ? `not run: ${s.error}` : stale > 0 ? `never reached the final state in ${stale}/${list.length}` : ''
    out.push(summarize(`${caseName}: last write to final state`, s.contender.name, 'ms', settled, { baseline: index === 0, note }))
  })
  return out
}

/**
 * Case 2: bursts. (a) `files` configs rewritten at once, as a `git checkout` does; (b) one
 * config saved `saves` times within `savesWindowMs`. For each contender: the reloads it ran
 * (transactions, re-reads or restarts), how long after the last write it held the final state,
 * and whether what its subscriber ends with equals what is on disk.
 */
export async function benchBursts(entries: readonly BurstEntry[], options: BurstOptions): Promise<BenchRow[]> {
  const contenders = entries.map((e) => e.contender)
  const names = Array.from({ length: options.files }, (_, i) => configName(i))
  const checkoutCase = `burst: ${options.files} files at once`
  const checkoutEntries = entries.filter((e) => e.skipCheckout === undefined)
  let started = await startAll(checkoutEntries.map((e) => e.contender), names, 0)
  const checkout = await measure(started, checkoutEntries, options.repetitions, async (s, value) => ({
    expected: new Map(names.map((name) => [name, value])),
    writes: Promise.all(names.map((name) => s.project.write(fileOf(s.contender, name), configContent(value)))).then(() => undefined),
  }))
  for (const p of await closeAll(started)) options.log(`  ${p}`)
  const result = rows(checkoutCase, started, checkout, entries.filter((e) => e.skipCheckout !== undefined))
  options.log(`  bursts: ${checkoutCase} done`)

  const savesCase = `burst: 1 file saved ${options.saves}x in ${options.savesWindowMs} ms`
  started = await startAll(contenders, ['app'], 0)
  const saves = await measure(started, entries, options.repetitions, async (s, value) => {
    const last = value + options.saves - 1
    const writes = (async () => {
      const begin = performance.now()
      for (let k = 0; k < options.saves; k++) {
        await s.project.write(fileOf(s.contender, 'app'), configContent(value + k))
        const due = begin + ((k + 1) * options.savesWindowMs) / options.saves - performance.now()
        if (due > 0 && k < options.saves - 1) await sleep(due)
      }
    })()
    return { expected: new Map([['app', last]]), writes }
  })
  for (const p of await closeAll(started)) options.log(`  ${p}`)
  options.log(`  bursts: ${savesCase} done`)
  return [...result, ...rows(savesCase, started, saves)]
}
