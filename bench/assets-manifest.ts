/**
 * The assets plugin at scale: build the manifest for 10,000 files of varied sizes, update it
 * after one change, and compare the hashing throughput with `sha256sum` over the same files in
 * the same run. Also hashes one large sparse file (1 GB by default) to show memory stays flat.
 *
 * Standalone: `node --conditions=source --import tsx bench/assets-manifest.ts [--files=N] [--runs=N] [--large-mb=N]`
 * (from bench/: `npm run bench:assets -- --large-mb=0`).
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { createHotReload } from '@hotreload/core'
import { assetsPlugin } from '@hotreload/plugin-assets'
// The raw hash passes are internals of the plugin, measured here on their own.
import { digestFile } from '../packages/plugin-assets/src/hash.js'
import { digestInPool } from '../packages/plugin-assets/src/hash-pool.js'

export interface AssetManifestBenchOptions {
  /** Number of generated assets. Default 10,000. */
  readonly files?: number
  /** Size of the large sparse file hashed for the memory figure, in MiB; 0 skips it. Default 1024. */
  readonly largeFileMb?: number
  /**
   * Rounds; each runs `sha256sum`, the raw hash pass and the full build once, in that order, so
   * the machine's load hits all three alike. Medians are reported. Default 5.
   */
  readonly runs?: number
  readonly log?: (line: string) => void
}

export interface Throughput {
  /** Median wall time in ms. */
  readonly ms: number
  /** MiB of asset bytes per second. */
  readonly mbPerSec: number
  /** Every run's wall time in ms, in run order. */
  readonly samples: readonly number[]
}

/** Per round, this time divided by `sha256sum`'s in the same round: median and spread. */
export interface PairedRatio {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly rounds: number
}

export interface AssetManifestBenchResult {
  readonly files: number
  readonly totalBytes: number
  /** `xargs -0 -n 500 sha256sum` over every file (one sha256 per file). */
  readonly sha256sum: Throughput
  /** The plugin's hash pass over every file, as a large stage runs it: the worker pool, sha256 and sha384 from one read. */
  readonly hashPass: Throughput & { readonly paired: PairedRatio }
  /**
   * The full initial build through `createHotReload` (no watcher), from no manifest: the core
   * lists and stats every file (the plugin claims them by stat), the plugin reads and hashes
   * each once (sha256 + sha384, in worker threads) and writes the manifest (temp + rename).
   */
  readonly build: Throughput & { readonly manifestBytes: number; readonly hashed: number; readonly paired: PairedRatio }
  /**
   * The same initial load with no plugin: since issue 11 no plugin claims the files, so the core
   * fingerprints them by size and mtime only (nothing read); the floor the build stands on.
   */
  readonly coreOnly: Throughput
  /** One asset edited, then `reload({ paths })`: the transaction that updates the manifest. */
  readonly update: { readonly ms: number; readonly hashed: number; readonly manifestWrites: number }
  /** Every manifest hash equals the one sha256sum printed for that file. */
  readonly verified: boolean
  /** Hashing one large file with the plugin's hash pass, and how much the process grew meanwhile. */
  readonly largeFile?: Throughput & { readonly mb: number; readonly rssGrowthMb: number; readonly heapGrowthMb: number }
  /** The machine: CPU count and 1-minute load average before and after (other work skews every figure). */
  readonly machine: { readonly cpus: number; readonly loadBefore: number; readonly loadAfter: number }
}

const MiB = 1024 * 1024

/** Deterministic sizes: 80 % 200 B-8 KiB, 18 % 8-128 KiB, 2 % 128 KiB-2 MiB, like a web app's static folder. */
function sizeOf(i: number): number {
  // A multiplicative hash of i: the same sizes on every run, no Math.random.
  const r = ((i * 2654435761) >>> 0) / 2 ** 32
  const s = ((i * 40503 + 7) % 10007) / 10007
  if (r < 0.8) return 200 + Math.floor(s * (8 * 1024 - 200))
  if (r < 0.98) return 8 * 1024 + Math.floor(s * 120 * 1024)
  return 128 * 1024 + Math.floor(s * (2 * MiB - 128 * 1024))
}

const EXTENSIONS = ['.css', '.js', '.svg', '.png', '.woff2']

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

function throughput(samples: readonly number[], bytes: number): Throughput {
  const ms = median([...samples])
  return { ms: Math.round(ms * 10) / 10, mbPerSec: Math.round((bytes / MiB / (ms / 1000)) * 10) / 10, samples: samples.map((v) => Math.round(v * 10) / 10) }
}

function paired(times: readonly number[], baseline: readonly number[]): PairedRatio {
  const ratios = times.map((t, i) => t / (baseline[i] as number))
  const round = (v: number) => Math.round(v * 100) / 100
  return { median: round(median(ratios)), min: round(Math.min(...ratios)), max: round(Math.max(...ratios)), rounds: ratios.length }
}

/** Runs `xargs -0 -n 500 sha256sum` over `files` (relative to `cwd`); resolves with path -> hash. */
function sha256sum(cwd: string, files: readonly string[]): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const child = spawn('xargs', ['-0', '-n', '500', 'sha256sum'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    const chunks: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => chunks.push(d))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`sha256sum exited with ${code}: ${stderr}`))
      const out = new Map<string, string>()
      for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
        if (line.length > 66) out.set(line.slice(66), line.slice(0, 64))
      }
      resolve(out)
    })
    child.stdin.end(files.join('\0'))
  })
}

/** Hashes every file with the plugin's hash pass for a large stage: the worker pool, started and closed here. */
async function hashPass(root: string, files: readonly string[], sizes: readonly number[]): Promise<void> {
  const outcomes = await digestInPool(files.map((f, i) => ({ path: join(root, f), size: sizes[i] as number })))
  const failed = outcomes.find((o) => o instanceof Error)
  if (failed) throw failed
}

/**
 * Generates the assets in a temp directory, measures, removes everything, and resolves with
 * the figures. Takes ~15 s for 10,000 files and 1 GB on a recent machine.
 */
export async function benchAssetManifest(opts: AssetManifestBenchOptions = {}): Promise<AssetManifestBenchResult> {
  const count = opts.files ?? 10_000
  const runs = opts.runs ?? 5
  const largeFileMb = opts.largeFileMb ?? 1024
  const log = opts.log ?? (() => undefined)
  const loadBefore = loadavg()[0] ?? 0
  const root = await mkdtemp(join(tmpdir(), 'hotreload-bench-assets-'))
  try {
    log(`assets: generating ${count} files`)
    const files: string[] = []
    const sizes: number[] = []
    let totalBytes = 0
    for (let i = 0; i < count; i++) {
      const rel = `static/d${String(i % 100).padStart(2, '0')}/f${i}${EXTENSIONS[i % EXTENSIONS.length]}`
      if (i < 100) await mkdir(join(root, `static/d${String(i).padStart(2, '0')}`), { recursive: true })
      const size = sizeOf(i)
      await writeFile(join(root, rel), randomBytes(size))
      files.push(rel)
      sizes.push(size)
      totalBytes += size
    }

    log('assets: initial load with no plugin (core fingerprinting only)')
    const c0 = performance.now()
    const bare = await createHotReload({ root, watch: false, include: ['static/**/*'], plugins: [] })
    const coreOnlyMs = performance.now() - c0
    await bare.close()

    // One warm-up round, not counted: the page cache and the JIT start alike for everyone.
    log(`assets: ${runs} rounds of sha256sum, hash pass and full build over ${(totalBytes / MiB).toFixed(0)} MiB, after a warm-up`)
    const sumTimes: number[] = []
    const passTimes: number[] = []
    const buildTimes: number[] = []
    let reference = new Map<string, string>()
    let assets = assetsPlugin()
    let reloader: Awaited<ReturnType<typeof createHotReload>> | undefined
    const steps = {
      async sha256sum() {
        reference = await sha256sum(root, files)
        if (reference.size !== count) throw new Error(`sha256sum hashed ${reference.size} of ${count} files`)
      },
      hashPass: () => hashPass(root, files, sizes),
      async build() {
        // Every build starts from no manifest, as a first start does; the last one is kept open.
        await reloader?.close()
        reloader = undefined
        await rm(join(root, '.hotreload'), { recursive: true, force: true })
        assets = assetsPlugin()
        const b0 = performance.now()
        reloader = await createHotReload({ root, watch: false, plugins: [assets] })
        return performance.now() - b0
      },
    }
    const order = ['sha256sum', 'hashPass', 'build'] as const
    try {
      for (let r = -1; r < runs; r++) {
        // The order rotates from round to round, so none of the three always runs first.
        const round: Record<(typeof order)[number], number> = { sha256sum: 0, hashPass: 0, build: 0 }
        for (let k = 0; k < order.length; k++) {
          const step = order[(Math.max(r, 0) + k) % order.length] as (typeof order)[number]
          const t0 = performance.now()
          const own = await steps[step]()
          round[step] = typeof own === 'number' ? own : performance.now() - t0
        }
        if (r >= 0) {
          sumTimes.push(round.sha256sum)
          passTimes.push(round.hashPass)
          buildTimes.push(round.build)
        }
        log(`  round ${r < 0 ? 'warm-up' : r + 1}: sha256sum ${round.sha256sum.toFixed(0)} ms, hash pass ${round.hashPass.toFixed(0)} ms, build ${round.build.toFixed(0)} ms (${(round.build / round.sha256sum).toFixed(2)}x)`)
      }
      if (!reloader) throw new Error('no build ran')
      const initial = reloader.history()[0]
      if (initial?.status !== 'applied') throw new Error(`the initial build was ${initial?.status}: ${JSON.stringify(initial?.problems)}`)
      const manifestText = await readFile(assets.stats().manifestPath, 'utf8')
      const manifest = JSON.parse(manifestText) as Record<string, { hash: string }>
      const verified = files.every((f) => manifest[f.slice('static/'.length)]?.hash === reference.get(f))
      const hashedAtBuild = assets.stats().hashed
      if (hashedAtBuild !== count) throw new Error(`the build hashed ${hashedAtBuild} of ${count} files`)

      const edited = files[count >> 1] as string
      await writeFile(join(root, edited), randomBytes(sizeOf(count >> 1)))
      const before = assets.stats()
      const u0 = performance.now()
      const record = await reloader.reload({ paths: [edited] })
      const updateMs = performance.now() - u0
      if (record.status !== 'applied') throw new Error(`the update was ${record.status}`)
      const after = assets.stats()

      let largeFile: AssetManifestBenchResult['largeFile']
      if (largeFileMb > 0) {
        log(`assets: hashing a ${largeFileMb} MiB file`)
        const big = join(root, 'large.bin')
        await writeFile(big, '')
        await truncate(big, largeFileMb * MiB)
        const m0 = process.memoryUsage()
        let peakRss = m0.rss
        let peakHeap = m0.heapUsed
        const sampler = setInterval(() => {
          const m = process.memoryUsage()
          peakRss = Math.max(peakRss, m.rss)
          peakHeap = Math.max(peakHeap, m.heapUsed)
        }, 5)
        const l0 = performance.now()
        await digestFile(big)
        const largeMs = performance.now() - l0
        clearInterval(sampler)
        largeFile = {
          mb: largeFileMb,
          ...throughput([largeMs], largeFileMb * MiB),
          rssGrowthMb: Math.round(((peakRss - m0.rss) / MiB) * 10) / 10,
          heapGrowthMb: Math.round(((peakHeap - m0.heapUsed) / MiB) * 10) / 10,
        }
      }

      const sha = throughput(sumTimes, totalBytes)
      const pass = throughput(passTimes, totalBytes)
      const build = throughput(buildTimes, totalBytes)
      return {
        files: count,
        totalBytes,
        sha256sum: sha,
        hashPass: { ...pass, paired: paired(passTimes, sumTimes) },
        build: { ...build, manifestBytes: Buffer.byteLength(manifestText), hashed: hashedAtBuild, paired: paired(buildTimes, sumTimes) },
        coreOnly: throughput([coreOnlyMs], totalBytes),
        update: { ms: Math.round(updateMs * 10) / 10, hashed: after.hashed - before.hashed, manifestWrites: after.manifestWrites - before.manifestWrites },
        verified,
        ...(largeFile ? { largeFile } : {}),
        machine: { cpus: cpus().length, loadBefore: Math.round(loadBefore * 10) / 10, loadAfter: Math.round((loadavg()[0] ?? 0) * 10) / 10 },
      }
    } finally {
      await reloader?.close()
    }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const found = process.argv.find((a) => a.startsWith(`--${name}=`))
    return found === undefined ? undefined : Number(found.slice(name.length + 3))
  }
  const [files, runs, largeFileMb] = [arg('files'), arg('runs'), arg('large-mb')]
  const result = await benchAssetManifest({
    ...(files !== undefined ? { files } : {}),
    ...(runs !== undefined ? { runs } : {}),
    ...(largeFileMb !== undefined ? { largeFileMb } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  })
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}
