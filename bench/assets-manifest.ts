/**
 * The assets plugin at scale: build the manifest for 10,000 files of varied sizes, update it
 * after one change, and compare the hashing throughput with `sha256sum` over the same files in
 * the same run. Also hashes one large sparse file (1 GB by default) to show memory stays flat.
 *
 * Standalone: `node --conditions=source --import tsx bench/assets-manifest.ts [--files=N]`.
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
// The raw hash pass is an internal of the plugin, measured here on its own.
import { digestFile } from '../packages/plugin-assets/src/hash.js'

export interface AssetManifestBenchOptions {
  /** Number of generated assets. Default 10,000. */
  readonly files?: number
  /** Size of the large sparse file hashed for the memory figure, in MiB; 0 skips it. Default 1024. */
  readonly largeFileMb?: number
  /** Runs of `sha256sum` and of the raw hash pass; the median is reported. Default 3. */
  readonly runs?: number
  readonly log?: (line: string) => void
}

export interface Throughput {
  /** Median wall time in ms. */
  readonly ms: number
  /** MiB of asset bytes per second. */
  readonly mbPerSec: number
}

export interface AssetManifestBenchResult {
  readonly files: number
  readonly totalBytes: number
  /** `xargs -0 -n 500 sha256sum` over every file (one sha256 per file). */
  readonly sha256sum: Throughput
  /** The plugin's own hash pass over every file: sha256 and sha384 in one read, 4 files at a time. */
  readonly hashPass: Throughput
  /**
   * The full initial build through `createHotReload` (no watcher): the core fingerprints every
   * file (sha256), the plugin computes SRI (sha384) and writes the manifest.
   */
  readonly build: Throughput & { readonly manifestBytes: number; readonly hashed: number }
  /**
   * The same initial load with no plugin: since issue 11 no plugin claims the files, so the core
   * fingerprints them by size and mtime only (nothing read); the floor the build stands on.
   */
  readonly coreOnly: Throughput
  /** One asset edited, then `reload({ paths })`: the transaction that updates the manifest. */
  readonly update: { readonly ms: number; readonly hashed: number; readonly manifestWrites: number }
  /** Our MiB/s divided by sha256sum's (>1: faster). */
  readonly ratio: { readonly hashPassVsSha256sum: number; readonly buildVsSha256sum: number }
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

function throughput(ms: number, bytes: number): Throughput {
  return { ms: Math.round(ms * 10) / 10, mbPerSec: Math.round((bytes / MiB / (ms / 1000)) * 10) / 10 }
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

/** Hashes every file with the plugin's hash pass, `concurrency` at a time (as the plugin stages them). */
async function hashPass(root: string, files: readonly string[], concurrency = 4): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < files.length) await digestFile(join(root, files[next++] as string))
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

/**
 * Generates the assets in a temp directory, measures, removes everything, and resolves with
 * the figures. Takes ~15 s for 10,000 files and 1 GB on a recent machine.
 */
export async function benchAssetManifest(opts: AssetManifestBenchOptions = {}): Promise<AssetManifestBenchResult> {
  const count = opts.files ?? 10_000
  const runs = opts.runs ?? 3
  const largeFileMb = opts.largeFileMb ?? 1024
  const log = opts.log ?? (() => undefined)
  const loadBefore = loadavg()[0] ?? 0
  const root = await mkdtemp(join(tmpdir(), 'hotreload-bench-assets-'))
  try {
    log(`assets: generating ${count} files`)
    const files: string[] = []
    let totalBytes = 0
    for (let i = 0; i < count; i++) {
      const rel = `static/d${String(i % 100).padStart(2, '0')}/f${i}${EXTENSIONS[i % EXTENSIONS.length]}`
      if (i < 100) await mkdir(join(root, `static/d${String(i).padStart(2, '0')}`), { recursive: true })
      const size = sizeOf(i)
      await writeFile(join(root, rel), randomBytes(size))
      files.push(rel)
      totalBytes += size
    }

    log(`assets: sha256sum x${runs} over ${(totalBytes / MiB).toFixed(0)} MiB`)
    const sumTimes: number[] = []
    let reference = new Map<string, string>()
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now()
      reference = await sha256sum(root, files)
      sumTimes.push(performance.now() - t0)
    }
    if (reference.size !== count) throw new Error(`sha256sum hashed ${reference.size} of ${count} files`)

    log(`assets: hash pass x${runs}`)
    const passTimes: number[] = []
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now()
      await hashPass(root, files)
      passTimes.push(performance.now() - t0)
    }

    log('assets: initial load with no plugin (core fingerprinting only)')
    const c0 = performance.now()
    const bare = await createHotReload({ root, watch: false, include: ['static/**/*'], plugins: [] })
    const coreOnlyMs = performance.now() - c0
    await bare.close()

    log('assets: full build through createHotReload')
    const assets = assetsPlugin()
    const t0 = performance.now()
    const reloader = await createHotReload({ root, watch: false, plugins: [assets] })
    const buildMs = performance.now() - t0
    try {
      const initial = reloader.history()[0]
      if (initial?.status !== 'applied') throw new Error(`the initial build was ${initial?.status}: ${JSON.stringify(initial?.problems)}`)
      const manifestText = await readFile(assets.stats().manifestPath, 'utf8')
      const manifest = JSON.parse(manifestText) as Record<string, { hash: string }>
      const verified = files.every((f) => manifest[f.slice('static/'.length)]?.hash === reference.get(f))
      const hashedAtBuild = assets.stats().hashed

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
          ...throughput(largeMs, largeFileMb * MiB),
          rssGrowthMb: Math.round(((peakRss - m0.rss) / MiB) * 10) / 10,
          heapGrowthMb: Math.round(((peakHeap - m0.heapUsed) / MiB) * 10) / 10,
        }
      }

      const sha = throughput(median(sumTimes), totalBytes)
      const pass = throughput(median(passTimes), totalBytes)
      const build = throughput(buildMs, totalBytes)
      return {
        files: count,
        totalBytes,
        sha256sum: sha,
        hashPass: pass,
        build: { ...build, manifestBytes: Buffer.byteLength(manifestText), hashed: hashedAtBuild },
        coreOnly: throughput(coreOnlyMs, totalBytes),
        update: { ms: Math.round(updateMs * 10) / 10, hashed: after.hashed - before.hashed, manifestWrites: after.manifestWrites - before.manifestWrites },
        ratio: {
          hashPassVsSha256sum: Math.round((pass.mbPerSec / sha.mbPerSec) * 100) / 100,
          buildVsSha256sum: Math.round((build.mbPerSec / sha.mbPerSec) * 100) / 100,
        },
        verified,
        ...(largeFile ? { largeFile } : {}),
        machine: { cpus: cpus().length, loadBefore: Math.round(loadBefore * 10) / 10, loadAfter: Math.round((loadavg()[0] ?? 0) * 10) / 10 },
      }
    } finally {
      await reloader.close()
    }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const filesArg = process.argv.find((a) => a.startsWith('--files='))
  const result = await benchAssetManifest({
    ...(filesArg ? { files: Number(filesArg.slice('--files='.length)) } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  })
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}
