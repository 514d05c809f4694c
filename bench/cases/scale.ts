import { runChild } from '../lib/child.js'
import { configContent, makeProject } from '../lib/project.js'
import { summarize, type BenchRow } from '../lib/stats.js'
import { rotate } from '../lib/run-contenders.js'

interface ScaleResult {
  readonly readyMs: number
  readonly rssBytes: number
  readonly heapBytes: number
  readonly files: number | null
  readonly latenciesMs: readonly number[]
  readonly missed: number
}

export interface ScaleOptions {
  readonly sizes: readonly number[]
  readonly repetitions: number
  /** Single-file changes timed in each child. */
  readonly changes: number
  /** hotreload is skipped (with this reason) when its packages cannot be loaded. */
  readonly hotreloadMissing?: string
  readonly log: (line: string) => void
}

const CONTENDERS = [
  { id: 'chokidar', name: 'chokidar alone' },
  { id: 'parcel', name: '@parcel/watcher alone' },
  { id: 'hotreload', name: 'hotreload + plugin-config' },
  { id: 'hotreload-parcel', name: 'hotreload + plugin-config (parcel)' },
] as const
const FILES_PER_DIR = 100
const MB = 1024 * 1024

/** A project of `n` watched files: config/app.json plus n-1 static files, 100 per directory. */
async function makeScaleProject(n: number) {
  const project = await makeProject(`scale-${n}`)
  await project.write('config/app.json', configContent(0))
  const writes: Promise<void>[] = []
  for (let i = 1; i < n; i++) {
    const dir = `static/d${String(Math.floor(i / FILES_PER_DIR)).padStart(3, '0')}`
    writes.push(project.write(`${dir}/f${String(i).padStart(5, '0')}.txt`, `static file ${i}\n`))
    if (writes.length >= 256) await Promise.all(writes.splice(0))
  }
  await Promise.all(writes)
  return project
}

/**
 * Case 3: `n` watched files. Each measurement runs in its own process (scale-child.ts) so
 * resident memory is the watcher's alone: time to ready, RSS and heap added after a full GC,
 * and the latency of one config change with n files watched. chokidar alone is the baseline.
 */
export async function benchScale(options: ScaleOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  let value = 1
  for (const n of options.sizes) {
    const project = await makeScaleProject(n)
    const results = new Map<string, ScaleResult[]>(CONTENDERS.map((c) => [c.id, []]))
    const failures = new Map<string, number>()
    for (let rep = 0; rep < options.repetitions; rep++) {
      for (const c of rotate(CONTENDERS, rep)) {
        if (c.id.startsWith('hotreload') && options.hotreloadMissing !== undefined) continue
        try {
          const result = await runChild<ScaleResult>('scale-child.ts', [c.id, project.root, String(value), String(options.changes)], 120_000)
          results.get(c.id)?.push(result)
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error)
          options.log(`  scale: ${c.name}, ${n} files: ${message}`)
          failures.set(c.id, (failures.get(c.id) ?? 0) + 1)
        }
        value += options.changes
      }
    }
    await project.remove()
    const label = `scale ${n.toLocaleString('en-US')} files`
    const each = (metric: string, unit: string, pick: (r: ScaleResult) => readonly number[]) =>
      CONTENDERS.map((c, index) => {
        const list = results.get(c.id) ?? []
        const missing = c.id.startsWith('hotreload') ? options.hotreloadMissing : undefined
        const failure = failures.get(c.id)
        const missed = list.reduce((sum, r) => sum + r.missed, 0)
        const note = missing !== undefined ? `not run: ${missing}` : failure !== undefined ? `${failure} of ${options.repetitions} runs failed (see the log)` : metric === 'one change' && missed > 0 ? `missed ${missed}` : metric === 'time to ready' && list[0]?.files != null ? `reports ${list[0].files} files watched` : ''
        return summarize(`${label}: ${metric}`, c.name, unit, list.flatMap(pick), { baseline: index === 0, note })
      })
    rows.push(
      ...each('time to ready', 'ms', (r) => [r.readyMs]),
      ...each('RSS added', 'MB', (r) => [r.rssBytes / MB]),
      ...each('heap added', 'MB', (r) => [r.heapBytes / MB]),
      ...each('one change', 'ms', (r) => r.latenciesMs),
    )
    options.log(`  scale: ${n} files done`)
  }
  return rows
}
