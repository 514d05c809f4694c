import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { summarize, type BenchRow } from '../lib/stats.js'

const BENCH_DIR = join(import.meta.dirname, '..')

function failed(caseName: string, error: unknown): BenchRow {
  return summarize(caseName, '(failed)', '', [], { note: error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error) })
}

/** The template plugin's render path against the engine's own function (templates-render.ts). */
async function templateRows(log: (line: string) => void): Promise<BenchRow[]> {
  if (!existsSync(join(BENCH_DIR, 'templates-render.ts'))) return [summarize('template render', '(missing)', '', [], { note: 'bench/templates-render.ts not written' })]
  try {
    const { benchTemplateRender, templateRenderRows } = await import('../templates-render.js')
    const rows = templateRenderRows(await benchTemplateRender())
    log('  plugins: template render done')
    return rows
  } catch (error) {
    return [failed('template render', error)]
  }
}

/** The asset manifest build and update, hashing against `sha256sum` (assets-manifest.ts). */
async function assetRows(quick: boolean, log: (line: string) => void): Promise<BenchRow[]> {
  if (!existsSync(join(BENCH_DIR, 'assets-manifest.ts'))) return [summarize('asset manifest', '(missing)', '', [], { note: 'bench/assets-manifest.ts not written' })]
  try {
    const { benchAssetManifest } = await import('../assets-manifest.js')
    const r = await benchAssetManifest({ ...(quick ? { files: 1000, largeFileMb: 64, runs: 1 } : {}), log: (line) => log(`  ${line}`) })
    const mib = (r.totalBytes / 2 ** 20).toFixed(0)
    const hashCase = `asset manifest: hash ${r.files.toLocaleString('en-US')} files (${mib} MiB)`
    const rate = (mbPerSec: number) => `${mbPerSec} MiB/s`
    const rows: BenchRow[] = [
      summarize(hashCase, 'sha256sum (xargs -n 500)', 'ms', [r.sha256sum.ms], { baseline: true, note: rate(r.sha256sum.mbPerSec) }),
      summarize(hashCase, 'plugin hash pass (sha256 + sha384)', 'ms', [r.hashPass.ms], { note: rate(r.hashPass.mbPerSec) }),
      summarize(hashCase, 'core fingerprinting alone', 'ms', [r.coreOnly.ms], { note: rate(r.coreOnly.mbPerSec) }),
      summarize(hashCase, 'full manifest build', 'ms', [r.build.ms], { note: `${rate(r.build.mbPerSec)}, hashes ${r.verified ? 'match' : 'DIFFER from'} sha256sum` }),
      summarize('asset manifest: update after one change', 'reload({ paths })', 'ms', [r.update.ms], {
        note: `${r.update.hashed} file hashed, ${r.update.manifestWrites} manifest write`,
      }),
    ]
    if (r.largeFile) {
      rows.push(
        summarize(`asset hash: one ${r.largeFile.mb} MiB file`, 'plugin hash pass', 'ms', [r.largeFile.ms], {
          note: `${rate(r.largeFile.mbPerSec)}, RSS +${r.largeFile.rssGrowthMb} MB, heap +${r.largeFile.heapGrowthMb} MB`,
        }),
      )
    }
    log('  plugins: asset manifest done')
    return rows
  } catch (error) {
    return [failed('asset manifest', error)]
  }
}

/** The fleet plugin's rounds over a real redis-server, with Redis's PING as the floor (fleet-rounds.ts). */
async function fleetRows(quick: boolean, log: (line: string) => void): Promise<BenchRow[]> {
  try {
    const { benchFleetRounds } = await import('../fleet-rounds.js')
    const rows = await benchFleetRounds({ rounds: quick ? 5 : 20, log })
    log('  plugins: fleet rounds done')
    return rows
  } catch (error) {
    return [failed('fleet rounds', error)]
  }
}

/** Refusing the worst config file of at most 1 MiB against parsing a valid one (config-reject.ts). */
async function configRejectRows(quick: boolean, log: (line: string) => void): Promise<BenchRow[]> {
  try {
    const { benchConfigReject } = await import('../config-reject.js')
    const rows = await benchConfigReject({ runs: quick ? 1 : 3 })
    log('  plugins: config reject done')
    return rows
  } catch (error) {
    return [failed('config reject', error)]
  }
}

/** Case 5: the plugins' own benchmarks, as rows of the same table. */
export async function benchPlugins(options: { quick: boolean; log: (line: string) => void }): Promise<BenchRow[]> {
  return [...(await templateRows(options.log)), ...(await assetRows(options.quick, options.log)), ...(await configRejectRows(options.quick, options.log)), ...(await fleetRows(options.quick, options.log))]
}
