import { parseSource } from '/work/wt/config-input/packages/plugin-config/src/parse.js'
import { sanitize } from '/work/wt/config-input/packages/plugin-config/src/safety.js'
const MiB = 1024 * 1024
const gens: Record<string, [() => string, 'json'|'yaml'|'toml']> = {
  'json [[[': [() => '{"a":' + '['.repeat(MiB - 10) , 'json'],
  'json [[[]]]': [() => '{"a":' + '['.repeat(MiB/2 - 10) + ']'.repeat(MiB/2 - 10) + '}', 'json'],
  'yaml flow [[[': [() => 'a: ' + '['.repeat(MiB/2 - 10) + ']'.repeat(MiB/2 - 10), 'yaml'],
  'yaml block - - -': [() => 'a:\n' + '- '.repeat(MiB/2 - 10) + 'x\n', 'yaml'],
  'yaml flow {a: {a:': [() => 'a: ' + '{a: '.repeat(MiB/5) + '1' + '}'.repeat(MiB/5), 'yaml'],
  'toml [[[': [() => 'a = ' + '['.repeat(MiB/2 - 10) + ']'.repeat(MiB/2 - 10) + '\n', 'toml'],
  'toml dotted': [() => 'a' + '.a'.repeat(MiB/2 - 10) + ' = 1\n', 'toml'],
  'toml header': [() => '[a' + '.a'.repeat(MiB/2 - 10) + ']\nx = 1\n', 'toml'],
  'toml inline': [() => 'a = ' + '{a='.repeat(MiB/5) + '1' + '}'.repeat(MiB/5) + '\n', 'toml'],
}
const which = process.argv[2]!
const [gen, format] = gens[which]!
const text = gen()
globalThis.gc?.(); globalThis.gc?.()
const rss0 = process.memoryUsage().rss
let peak = rss0
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 5)
const t0 = performance.now()
let outcome = ''
try {
  const r = parseSource(text, format, { path: 'x', maxAliasCount: 100 })
  if (!r.ok) outcome = r.errors[0]!.message.slice(0, 80)
  else { const c = sanitize(r.source, 'x'); outcome = c.ok ? 'ACCEPTED' : c.errors[0]!.message.slice(0, 80) }
} catch (e) { outcome = 'THREW ' + String(e).slice(0, 80) }
const ms = performance.now() - t0
peak = Math.max(peak, process.memoryUsage().rss)
clearInterval(timer)
console.log(JSON.stringify({ which, bytes: text.length, ms: Math.round(ms), rssMiB: Math.round((peak - rss0) / MiB), outcome }))
