/**
 * The cost of refusing the worst config file of at most 1 MiB (the default `maxFileBytes`)
 * against parsing a valid 1 MiB file, per format (issue 12: a 1 MB YAML of nested lists took
 * 1.4 s and +420 MiB to refuse; the target is 100 ms and 20 MiB). Each measurement runs in a
 * fresh process (config-reject-child.ts). Rows, per format:
 * - a valid 1 MiB file, parsed and checked: the baseline;
 * - the issue's input, nesting from the first byte (500,000 nested lists, `[[[[`, dotted keys);
 * - the pre-scan's worst: 1 MiB of valid text with the nesting at its very end;
 * - a syntax error at the end of 1 MiB of valid text, which only the parser finds (so it costs
 *   what the valid file costs);
 * - the parser alone on the issue's input, as plugin-config ran it before the pre-scan.
 *
 * Standalone: `node --conditions=source --import tsx bench/config-reject.ts [--runs=N]`.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { summarize, type BenchRow } from './lib/stats.js'

const MiB = 1024 * 1024
const FORMATS = ['json', 'yaml', 'toml'] as const
type Format = (typeof FORMATS)[number]

interface Sample {
  readonly ms: number
  readonly cpuMs: number
  readonly rssGrowthMb: number
  readonly heapGrowthMb: number
  readonly outcome: string
}

/** Repeats `unit(i)` until the next one would pass `bytes`. */
function fill(bytes: number, unit: (i: number) => string, head = '', tail = ''): string {
  const parts = [head]
  let size = Buffer.byteLength(head) + Buffer.byteLength(tail)
  for (let i = 0; ; i++) {
    const next = unit(i)
    const n = Buffer.byteLength(next)
    if (size + n > bytes) break
    parts.push(next)
    size += n
  }
  parts.push(tail)
  return parts.join('')
}

// A config-like section: a few scalars, a list and a nested table.
const SECTION: Record<Format, (i: number) => string> = {
  json: (i) => `${i ? ',' : ''}\n  "section${i}": { "name": "service ${i}", "port": ${8000 + (i % 1000)}, "tags": ["a", "b", "c"], "nested": { "enabled": true, "ratio": 0.5 } }`,
  yaml: (i) => `section${i}:\n  name: "service ${i}"\n  port: ${8000 + (i % 1000)}\n  tags: [a, b, c]\n  nested:\n    enabled: true\n    ratio: 0.5\n`,
  toml: (i) => `[section${i}]\nname = "service ${i}"\nport = ${8000 + (i % 1000)}\ntags = ["a", "b", "c"]\n[section${i}.nested]\nenabled = true\nratio = 0.5\n`,
}

// Nesting from the first byte, the whole file long.
const DEEP: Record<Format, (bytes: number) => string> = {
  json: (bytes) => `{"a": ${'['.repeat(bytes - 16)}`,
  yaml: (bytes) => `a:\n${'- '.repeat(Math.floor((bytes - 8) / 2))}x\n`,
  toml: (bytes) => `a${'.a'.repeat(Math.floor((bytes - 16) / 2))} = 1\n`,
}

/** The inputs of each row, at most `MiB` bytes each. */
function inputs(format: Format): { label: string; text: string; mode: 'plugin' | 'parser'; baseline?: boolean }[] {
  const tailRoom = 4096
  const valid = format === 'json' ? fill(MiB, SECTION.json, '{', '\n}\n') : fill(MiB, SECTION[format])
  const prefix = format === 'json' ? fill(MiB - tailRoom, SECTION.json, '{', '') : fill(MiB - tailRoom, SECTION[format])
  const deepTail = format === 'json' ? `,\n  "deep": ${'['.repeat(1000)}` : format === 'yaml' ? `deep: ${'['.repeat(1000)}\n` : `deep = ${'['.repeat(1000)}\n`
  const syntaxTail = format === 'json' ? ',\n  "broken": }\n' : format === 'yaml' ? 'broken: [1, 2\n' : 'broken = \n'
  return [
    { label: 'valid 1 MiB file, parsed and checked', text: valid, mode: 'plugin', baseline: true },
    { label: 'refused: nesting from the first byte (the issue\'s input)', text: DEEP[format](MiB), mode: 'plugin' },
    { label: 'refused: 1 MiB of valid text, then nesting', text: prefix + deepTail, mode: 'plugin' },
    { label: 'refused: 1 MiB of valid text, then a syntax error', text: prefix + syntaxTail, mode: 'plugin' },
    { label: 'before: the parser alone on the issue\'s input', text: DEEP[format](MiB), mode: 'parser' },
  ]
}

function runChild(args: readonly string[], timeoutMs: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    // The parser-alone rows get a heap cap (the whole pipeline once ran out of any heap on deep
    // TOML keys; 1 GiB ends such a run sooner); the others run with Node's defaults, as an app does.
    const cap = args[2] === 'parser' ? ['--max-old-space-size=1024'] : []
    const child = spawn(process.execPath, ['--expose-gc', ...cap, '--conditions=source', '--import', 'tsx', join(import.meta.dirname, 'config-reject-child.ts'), ...args], {
      cwd: import.meta.dirname,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code !== 0) {
        const why = /heap out of memory/i.test(stderr) ? 'ran out of heap (1 GiB)' : signal ? `killed by ${signal} after ${timeoutMs} ms` : `exited with ${code}`
        reject(new Error(why))
        return
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Sample)
      } catch (error) {
        reject(new Error(`printed no result: ${stdout.slice(0, 200)} ${stderr.slice(-200)}`, { cause: error }))
      }
    })
  })
}

export interface ConfigRejectOptions {
  /** Fresh processes per row; the median is reported. Default 3 (1 for the parser-alone rows). */
  readonly runs?: number
  readonly log?: (line: string) => void
}

/** Measures every row; rows that fail say why in their note. */
export async function benchConfigReject(options: ConfigRejectOptions = {}): Promise<BenchRow[]> {
  const runs = options.runs ?? 3
  const dir = await mkdtemp(join(tmpdir(), 'hotreload-bench-reject-'))
  const rows: BenchRow[] = []
  try {
    for (const format of FORMATS) {
      const caseName = `config: refuse the worst ${format.toUpperCase()} file ≤ 1 MiB`
      for (const [i, input] of inputs(format).entries()) {
        const file = join(dir, `${format}-${i}.${format}`)
        await writeFile(file, input.text)
        const samples: Sample[] = []
        let failure: string | undefined
        for (let r = 0; r < (input.mode === 'parser' ? 1 : runs) && failure === undefined; r++) {
          try {
            samples.push(await runChild([format, file, input.mode], 60_000))
          } catch (error) {
            failure = error instanceof Error ? error.message : String(error)
          }
        }
        const sorted = [...samples].sort((a, b) => a.ms - b.ms)
        const mid = sorted[Math.floor(sorted.length / 2)]
        const size = `${(Buffer.byteLength(input.text) / MiB).toFixed(2)} MiB`
        const note = mid
          ? `${size}, CPU ${mid.cpuMs.toFixed(0)} ms, RSS +${Math.max(...samples.map((s) => s.rssGrowthMb))} MB (max), heap +${mid.heapGrowthMb} MB; ${mid.outcome}`
          : `${size}; ${failure}`
        rows.push(summarize(caseName, input.label, 'ms', samples.map((s) => s.ms), { ...(input.baseline ? { baseline: true } : {}), note }))
        options.log?.(`config reject: ${format} ${input.label}: ${mid ? `${mid.ms.toFixed(1)} ms` : failure}`)
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  return rows
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runsArg = process.argv.find((a) => a.startsWith('--runs='))
  const rows = await benchConfigReject({ ...(runsArg ? { runs: Number(runsArg.slice('--runs='.length)) } : {}), log: (line) => process.stderr.write(`${line}\n`) })
  for (const row of rows) process.stdout.write(`${row.case} | ${row.contender} | ${row.median?.toFixed(1)} ms | ${row.note}\n`)
}
