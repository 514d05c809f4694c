/**
 * What the audit trail and the metrics cost a transaction (issue 16: together at most 5% of a
 * single-save transaction), measured in the same run against a transaction without them.
 *
 * - **single save**: one config file (~150 bytes, plugin-config with a TypeBox schema) is
 *   rewritten and `reload({ paths })` applies it. Two instances in temp dirs of their own, one
 *   with `audit: false`, one with the trail on (the default), run blocks of transactions in
 *   alternating order; a block's time per transaction includes the trail's writes, which run
 *   between the transactions of the block (its last write is awaited by `close()`, not timed).
 *   CPU time per transaction (`process.cpuUsage`, the thread pool's fs work included) is in
 *   the note: the wall time hides work done while waiting for the disk.
 * - **per record**: the two costs alone, on the records of that run. The metrics' `observe`
 *   (a counter and four histograms) is always on, so the instance without a trail still pays
 *   it; it is timed here on its own and taken out of the baseline for the share.
 *
 * Standalone: `node --conditions=source --import tsx bench/observability.ts [--quick]`
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { createHotReload, type HotReload, type Status, type TransactionRecord } from '@hotreload/core'
import configPlugin from '@hotreload/plugin-config'
// Internal modules, timed on their own: neither is exported from the package.
import { createAuditWriter } from '../packages/core/src/audit.js'
import { createMetrics } from '../packages/core/src/metrics.js'
import { BenchConfigSchema } from './contenders/hotreload.js'
import { configContent } from './lib/project.js'
import { median, summarize, type BenchRow } from './lib/stats.js'

export interface ObservabilityResult {
  /** Median ms per single-save transaction, without the trail (metrics on). */
  readonly txWithoutAuditMs: number
  /** Median ms per single-save transaction with the trail on. */
  readonly txWithAuditMs: number
  /** Median over rounds of (with trail / without) for the blocks of one round. */
  readonly pairedRatio: number
  /** Median CPU ms per transaction, without and with the trail. */
  readonly cpuWithoutAuditMs: number
  readonly cpuWithAuditMs: number
  /** Median µs of the metrics' observe per record. */
  readonly metricsUsPerRecord: number
  /** Median µs per record of the trail alone: redact, serialise, write. */
  readonly auditUsPerRecord: number
  /** Median CPU µs per record of the trail (main thread and the fs thread pool). */
  readonly auditCpuUsPerRecord: number
  readonly rounds: number
  readonly txPerBlock: number
}

interface Side {
  readonly reloader: HotReload
  readonly root: string
  next: number
}

async function startSide(audit: boolean): Promise<Side> {
  const root = await mkdtemp(join(tmpdir(), `hotreload-bench-observability-${audit ? 'on' : 'off'}-`))
  await mkdir(join(root, 'config'))
  await writeFile(join(root, 'config/app.json'), configContent(0))
  const reloader = await createHotReload({ root, watch: false, audit, plugins: [configPlugin({ schemas: { app: BenchConfigSchema } })] })
  return { reloader, root, next: 1 }
}

/** One block: `count` saves, each applied by `reload({ paths })`. Returns ms and CPU ms per tx. */
async function block(side: Side, count: number): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage()
  const t = performance.now()
  for (let i = 0; i < count; i++) {
    await writeFile(join(side.root, 'config/app.json'), configContent(side.next++))
    const record = await side.reloader.reload({ paths: ['config/app.json'] })
    if (record.status !== 'applied') throw new Error(`bench transaction ended ${record.status}: ${JSON.stringify(record.problems)}`)
  }
  const ms = (performance.now() - t) / count
  const used = process.cpuUsage(cpu)
  return { ms, cpuMs: (used.user + used.system) / 1000 / count }
}

async function perRecord(records: readonly TransactionRecord[], repeat: number, status: () => Status): Promise<{ metricsUs: number; auditUs: number; auditCpuUs: number }> {
  const metrics = createMetrics({ status })
  await metrics.text() // prom-client loaded before timing
  const metricsSamples: number[] = []
  const auditSamples: number[] = []
  const auditCpuSamples: number[] = []
  const dir = await mkdtemp(join(tmpdir(), 'hotreload-bench-observability-trail-'))
  try {
    for (let r = 0; r < repeat; r++) {
      let t = performance.now()
      for (const record of records) metrics.observe(record)
      metricsSamples.push(((performance.now() - t) * 1000) / records.length)

      const writer = createAuditWriter({ dir, maxFileBytes: 2 * 1024 * 1024, maxFiles: 5, onError: (e) => { throw e }, onWarning: () => undefined })
      t = performance.now()
      const cpu = process.cpuUsage()
      // One record at a time, each written before the next: the trail's cost per transaction
      // when transactions come one by one (the worst case; a burst shares writes).
      for (const record of records) {
        writer.append(record)
        await writer.flush()
      }
      auditSamples.push(((performance.now() - t) * 1000) / records.length)
      const used = process.cpuUsage(cpu)
      auditCpuSamples.push((used.user + used.system) / records.length)
      await writer.close()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  return { metricsUs: median(metricsSamples) ?? 0, auditUs: median(auditSamples) ?? 0, auditCpuUs: median(auditCpuSamples) ?? 0 }
}

export async function benchObservability(options: { quick?: boolean; log?: (line: string) => void } = {}): Promise<ObservabilityResult> {
  const rounds = options.quick ? 6 : 120
  const txPerBlock = options.quick ? 5 : 10
  const off = await startSide(false)
  const on = await startSide(!process.env['BENCH_AA'])
  try {
    await block(off, 10)
    await block(on, 10)
    const samples = { off: [] as number[], on: [] as number[], cpuOff: [] as number[], cpuOn: [] as number[], ratio: [] as number[] }
    for (let r = 0; r < rounds; r++) {
      // Alternate which side goes first, so a drift of the machine's load hits both alike; short
      // blocks keep the two sides of a round close in time.
      const round: Record<string, number> = {}
      for (const name of r % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        const result = await block(name === 'off' ? off : on, txPerBlock)
        samples[name].push(result.ms)
        samples[name === 'off' ? 'cpuOff' : 'cpuOn'].push(result.cpuMs)
        round[name] = result.ms
      }
      samples.ratio.push((round['on'] ?? 0) / (round['off'] ?? 1))
    }
    options.log?.(`  observability: ${rounds} rounds of ${txPerBlock} transactions per side done`)
    const records = on.reloader.history()
    const costs = await perRecord(records, options.quick ? 3 : 15, () => on.reloader.status())
    return {
      txWithoutAuditMs: median(samples.off) ?? 0,
      txWithAuditMs: median(samples.on) ?? 0,
      pairedRatio: median(samples.ratio) ?? 0,
      cpuWithoutAuditMs: median(samples.cpuOff) ?? 0,
      cpuWithAuditMs: median(samples.cpuOn) ?? 0,
      metricsUsPerRecord: costs.metricsUs,
      auditUsPerRecord: costs.auditUs,
      auditCpuUsPerRecord: costs.auditCpuUs,
      rounds,
      txPerBlock,
    }
  } finally {
    for (const side of [off, on]) {
      await side.reloader.close()
      await rm(side.root, { recursive: true, force: true })
    }
  }
}

/** The result as rows of the bench table. */
export function observabilityRows(r: ObservabilityResult): BenchRow[] {
  const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)}%`
  // The baseline without metrics either: the instance without a trail still observes metrics.
  const bare = r.txWithoutAuditMs - r.metricsUsPerRecord / 1000
  const together = r.txWithoutAuditMs * r.pairedRatio - bare
  const saveCase = 'observability: one save, audit trail + metrics'
  const recordCase = 'observability: cost per record (µs)'
  return [
    summarize(saveCase, 'reload({ paths }), audit: false', 'ms', [r.txWithoutAuditMs], { baseline: true, note: `${r.cpuWithoutAuditMs.toFixed(3)} ms CPU per tx; ${r.rounds} × ${r.txPerBlock} tx` }),
    summarize(saveCase, 'reload({ paths }), audit on', 'ms', [r.txWithAuditMs], {
      note: `${r.cpuWithAuditMs.toFixed(3)} ms CPU per tx; paired ratio ${r.pairedRatio.toFixed(3)}: trail + metrics ${pct(together, bare)} of a bare transaction (target ≤ 5%)`,
    }),
    summarize(recordCase, 'metrics observe', 'µs', [r.metricsUsPerRecord], { note: `${pct(r.metricsUsPerRecord / 1000, bare)} of a single-save transaction` }),
    summarize(recordCase, 'audit append (redact, JSON, write)', 'µs', [r.auditUsPerRecord], {
      note: `${pct(r.auditUsPerRecord / 1000, bare)} of a single-save transaction, off its path; ${r.auditCpuUsPerRecord.toFixed(1)} µs CPU (${pct(r.auditCpuUsPerRecord / 1000, r.cpuWithoutAuditMs)} of its CPU)`,
    }),
  ]
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await benchObservability({ quick: process.argv.includes('--quick'), log: (l) => process.stderr.write(`${l}\n`) })
  console.log(JSON.stringify(result, null, 2))
  for (const row of observabilityRows(result)) console.log(`${row.case} | ${row.contender} | ${row.median?.toFixed(3)} ${row.unit} | ${row.note ?? ''}`)
}
