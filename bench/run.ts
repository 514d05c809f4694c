/**
 * `npm run bench`: every case, every contender in the same run, one table at the end.
 * Flags: `--only=latency,single-save,bursts,scale,soak,plugins,observability,browser` runs a subset; `--quick` cuts iterations
 * (for checking the harness, not for numbers).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { benchBrowser } from './cases/browser.js'
import { benchBursts } from './cases/bursts.js'
import { benchObservability, observabilityRows } from './observability.js'
import { benchLatency } from './cases/latency.js'
import { benchSingleSave } from './cases/single-save.js'
import { benchPlugins } from './cases/plugins.js'
import { benchScale } from './cases/scale.js'
import { benchSoak } from './cases/soak.js'
import { c12Contender } from './contenders/c12.js'
import { chokidarContender } from './contenders/chokidar.js'
import { fsWatchContender } from './contenders/fs-watch.js'
import { nodemonContender } from './contenders/nodemon.js'
import type { Contender } from './lib/contender.js'
import { rate, type BenchRow } from './lib/stats.js'
import { renderTable } from './lib/table.js'

const CASES = ['latency', 'single-save', 'bursts', 'scale', 'soak', 'plugins', 'observability', 'browser'] as const
type CaseName = (typeof CASES)[number]

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const onlyArg = args.find((a) => a.startsWith('--only='))
const only = new Set(onlyArg ? onlyArg.slice('--only='.length).split(',') : CASES)
const log = (line: string) => process.stderr.write(`${line}\n`)

/**
 * The hotreload contenders, or why they are missing: the kernel and plugin-config are imported
 * lazily so the peers can be measured while those packages are still being written.
 */
async function loadHotreload(): Promise<{ contenders: (debounceMs: number | undefined) => Contender } | { missing: string }> {
  try {
    const mod = await import('./contenders/hotreload.js')
    return { contenders: mod.hotreloadContender }
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error)
    // Node names the resolved file; the package is what the reader needs to know is missing.
    const file = /Cannot find module '.*?node_modules\/(@hotreload\/[^/]+)\//.exec(message)
    return { missing: file ? `${file[1]} is not written yet` : message }
  }
}

async function main(): Promise<void> {
  const started = performance.now()
  const rows: BenchRow[] = []
  const hotreload = await loadHotreload()
  if ('missing' in hotreload) log(`hotreload contenders unavailable: ${hotreload.missing}`)
  const hot = (debounceMs: number | undefined): Contender[] => ('contenders' in hotreload ? [hotreload.contenders(debounceMs)] : [])
  const unavailable = (caseName: string, contender: string): BenchRow[] =>
    'missing' in hotreload ? [{ case: caseName, contender, unit: '', median: null, p90: null, samples: 0, note: `not run: ${hotreload.missing}` }] : []

  const run = async (name: CaseName, fn: () => Promise<BenchRow[]>) => {
    if (!only.has(name)) return
    const t = performance.now()
    log(`case ${name}...`)
    rows.push(...(await fn()))
    log(`case ${name}: ${((performance.now() - t) / 1000).toFixed(1)} s`)
  }

  await run('latency', async () => {
    const fast = (contender: Contender) => ({ contender, iterations: quick ? 8 : 40, timeoutMs: 1000 })
    const result = await benchLatency(
      [
        fast(fsWatchContender),
        fast(chokidarContender),
        fast(c12Contender(false)),
        ...hot(0).map(fast),
        ...hot(undefined).map(fast),
        { contender: nodemonContender, iterations: quick ? 3 : 12, timeoutMs: 15_000 },
      ],
      { rounds: quick ? 8 : 40, warmup: quick ? 2 : 5, settleMs: 30, log },
    )
    return [...result, ...unavailable('latency: one save', 'hotreload + plugin-config')]
  })

  await run('single-save', () => benchSingleSave({ rounds: quick ? 10 : 60, warmup: quick ? 3 : 10, settleMs: 120, log }))

  await run('bursts', async () => {
    const inProcess = (contender: Contender) => ({ contender, timeoutMs: 3000, quietMs: 300 })
    const result = await benchBursts(
      [
        inProcess(fsWatchContender),
        inProcess(chokidarContender),
        {
          ...inProcess(c12Contender(false)),
          // Probed: each event reloads all 500 layers; 500 events at once finished no reload in 60 s.
          skipCheckout: 'each event reloads every layer (O(n^2)): no reload finished in 60 s when probed',
        },
        inProcess(c12Contender(undefined)),
        ...hot(0).map(inProcess),
        ...hot(undefined).map(inProcess),
        { contender: nodemonContender, timeoutMs: 10_000, quietMs: 1000 },
      ],
      { repetitions: quick ? 1 : 3, files: 500, saves: 100, savesWindowMs: 200, log },
    )
    return [...result, ...unavailable('burst', 'hotreload + plugin-config')]
  })

  await run('scale', () =>
    benchScale({
      sizes: [1000, 10_000],
      repetitions: quick ? 1 : 3,
      changes: quick ? 5 : 10,
      ...('missing' in hotreload ? { hotreloadMissing: hotreload.missing } : {}),
      log,
    }),
  )

  await run('soak', () =>
    benchSoak({ transactions: quick ? 500 : 5000, writes: quick ? 100 : 500, ...('missing' in hotreload ? { hotreloadMissing: hotreload.missing } : {}), log }),
  )

  await run('plugins', () => benchPlugins({ quick, log }))
  await run('observability', async () => observabilityRows(await benchObservability({ quick, log })))

  await run('browser', () => benchBrowser({ edits: quick ? 8 : 30, log }))

  const rated = rate(rows)
  const seconds = (performance.now() - started) / 1000
  console.log(renderTable(rated))
  console.log(`\n${cpus().length} cpus (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GB, node ${process.version}, ${seconds.toFixed(0)} s`)
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    quick,
    cases: [...only],
    durationSeconds: Math.round(seconds),
    rows: rated,
  }
  const dir = join(import.meta.dirname, 'results')
  await mkdir(dir, { recursive: true })
  const json = `${JSON.stringify(report, null, 2)}\n`
  const stamped = join(dir, `${report.date.replaceAll(':', '-').replace(/\.\d+Z$/, 'Z')}.json`)
  await writeFile(stamped, json)
  // latest.json is the committed reference: only a full run may replace it.
  const full = !quick && CASES.every((c) => only.has(c))
  if (full) await writeFile(join(dir, 'latest.json'), json)
  log(`results: ${full ? 'results/latest.json and ' : ''}${stamped}`)
}

await main()
