/**
 * One measurement of config-reject.ts in a fresh process, so time and memory are this input's
 * alone: `node --expose-gc --conditions=source --import tsx config-reject-child.ts <json|yaml|toml> <file> <plugin|parser>`.
 * `plugin` runs what plugin-config runs on a file's bytes (UTF-8 check, nesting pre-scan,
 * parser, checks, sanitize); `parser` runs the format's parser alone, as plugin-config did
 * before the pre-scan. Prints one JSON line: { ms, cpuMs, rssGrowthMb, heapGrowthMb, outcome } (CPU time
 * says what the work costs when other processes share the machine's cores; ms is wall time).
 */
import { readFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { parse as parseToml } from 'smol-toml'
import { parseDocument } from 'yaml'
import { parseTree } from 'jsonc-parser'
// The plugin's file path, measured on its own: the kernel and the watcher add the same to every row.
import { parseFile, type ConfigFormat } from '../packages/plugin-config/src/parse.js'
import { sanitize } from '../packages/plugin-config/src/safety.js'
import { collect } from './lib/child.js'

const [format, file, mode] = process.argv.slice(2) as [ConfigFormat, string, 'plugin' | 'parser']
const bytes = await readFile(file)
collect()
const rssBefore = process.memoryUsage().rss
const heapBefore = process.memoryUsage().heapUsed
const peakBefore = process.resourceUsage().maxRSS * 1024

const cpuBefore = process.cpuUsage()
const started = performance.now()
let outcome: string
try {
  if (mode === 'plugin') {
    const parsed = parseFile(bytes, format, { path: `config/app.${format}`, maxAliasCount: 100 })
    const clean = parsed.ok ? sanitize(parsed.source, `config/app.${format}`) : undefined
    const first = !parsed.ok ? parsed.errors[0] : clean && !clean.ok ? clean.errors[0] : undefined
    outcome = first ? `refused ${first.code} at ${first.line}:${first.column}` : 'accepted'
  } else {
    const text = bytes.toString('utf8')
    if (format === 'yaml') {
      const doc = parseDocument(text)
      outcome = doc.errors.length > 0 ? `refused: ${doc.errors[0]?.code}` : (doc.toJS(), 'accepted')
    } else if (format === 'toml') {
      parseToml(text)
      outcome = 'accepted'
    } else {
      outcome = parseTree(text) ? 'accepted' : 'refused'
    }
  }
} catch (error) {
  outcome = `threw ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`
}
const ms = performance.now() - started
const cpu = process.cpuUsage(cpuBefore)
const heapAfter = process.memoryUsage().heapUsed
const peakAfter = process.resourceUsage().maxRSS * 1024
// Peak RSS during the work above the RSS before it (when the work did not raise the process's
// peak, the growth was at most the earlier peak's margin, reported as that bound).
const rssGrowth = Math.max(peakAfter, peakBefore) - rssBefore
process.stdout.write(
  `${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, rssGrowthMb: +(rssGrowth / 2 ** 20).toFixed(1), heapGrowthMb: +((heapAfter - heapBefore) / 2 ** 20).toFixed(1), outcome })}\n`,
)
