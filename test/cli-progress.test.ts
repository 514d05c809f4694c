// Issue 11: a big initial load is one summary line, with a live progress line on a terminal,
// instead of a 169 KB line listing every file and a plugin event line per file.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { linkNodeModules, runCli, startCli } from './helpers/cli.js'
import { makeTempProject, waitFor, type TempProject } from './helpers/index.js'
import { hasScript, screen, startCliOnTty } from './helpers/tty.js'

const FILES = 1500
const CONFIG = `import { defineConfig, type Plugin } from '@hotreload/core'
import { configPlugin } from '@hotreload/plugin-config'

// Writing trigger/go.txt makes a reload of everything, forced: a transaction of 1,501 files.
const again: Plugin = {
  name: 'again',
  apply(kernel) {
    kernel.include('trigger/**')
    kernel.on('applied', (e) => {
      if (e.reason === 'watch' && e.paths.includes('trigger/go.txt')) void kernel.reload({ force: true })
    })
  },
}

export default defineConfig({ debounceMs: 20, plugins: [configPlugin({ files: 'conf/**/*.json' }), again] })
`
// Generous: 1,500 files are read, parsed and validated by a loaded 2-core machine.
const RUN_MS = 180_000

async function bigProject(): Promise<TempProject> {
  const files: Record<string, string> = { 'hotreload.config.ts': CONFIG }
  for (let i = 0; i < FILES; i++) files[`conf/f${i}.json`] = `{"n":${i}}`
  const p = await makeTempProject(files)
  await linkNodeModules(p.root)
  return p
}

const SUMMARY = /loaded 1,500 files in [\d.]+ m?s \([\d,]+ files\/s\)/
const perFileLines = (text: string) => text.split('\n').filter((l) => /conf\/f\d+\.json|config:changed f\d+/.test(l))

test('check on 1,500 files without a terminal: one summary line, no file list, problems still each listed', async (t) => {
  const p = await bigProject()
  t.after(() => p.cleanup())
  const ok = await runCli(['check'], p.root, RUN_MS)
  assert.equal(ok.code, 0, ok.stdout + ok.stderr)
  const lines = ok.stdout.trim().split('\n')
  assert.equal(lines.filter((l) => SUMMARY.test(l)).length, 1, ok.stdout)
  assert.match(ok.stdout, /◌ loaded 1,500 files in .*: dry run, would apply 1,500 files\n/)
  assert.match(ok.stdout, /✓ valid \(1,500 files checked\)/)
  assert.deepEqual(perFileLines(ok.stdout), [])
  assert.ok(lines.length <= 3 && ok.stdout.length < 400, `bounded output, got ${ok.stdout.length} bytes:\n${ok.stdout}`)
  assert.ok(!ok.stderr.includes('\r'), 'no progress line without a terminal')

  await p.write('conf/f7.json', '{"n": ')
  const bad = await runCli(['check'], p.root, RUN_MS)
  assert.equal(bad.code, 1, bad.stdout + bad.stderr)
  assert.match(bad.stdout, /loaded 1,500 files in .*: dry run, would apply 1,500 files, but \d+ problems?:\n {2}✗ conf\/f7\.json:1:\d+: invalid JSON/)
  assert.ok(bad.stdout.length < 800, bad.stdout)
})

test('check --verbose on 1,500 files still lists every file', async (t) => {
  const p = await bigProject()
  t.after(() => p.cleanup())
  const run = await runCli(['check', '--verbose'], p.root, RUN_MS)
  assert.equal(run.code, 0, run.stderr)
  for (let i = 0; i < FILES; i++) assert.ok(run.stdout.includes(`conf/f${i}.json (created)`), `conf/f${i}.json listed`)
  assert.doesNotMatch(run.stdout, SUMMARY)
})

test('watch on 1,500 files without a terminal: the summary counts the plugin events; later edits are listed as before', async (t) => {
  const p = await bigProject()
  t.after(() => p.cleanup())
  const cli = startCli([], p.root)
  t.after(() => cli.child.kill('SIGKILL'))
  await waitFor(() => cli.stdout.some((l) => l.includes('hotreload ready')), { timeoutMs: RUN_MS, message: `ready line; stdout:\n${cli.stdout.join('\n')}` })
  const summary = cli.stdout.filter((l) => SUMMARY.test(l))
  assert.equal(summary.length, 1, cli.stdout.join('\n'))
  assert.match(summary[0] ?? '', /✓ loaded 1,500 files in .*: v1 applied \[config\] \(1,500 config:changed; --verbose lists them\)$/)
  assert.deepEqual(perFileLines(cli.stdout.join('\n')), [])
  assert.ok(cli.stdout.length <= 3, cli.stdout.join('\n'))

  await p.save('conf/f3.json', '{"n":"three"}')
  const line = await waitFor(() => cli.stdout.find((l) => l.includes('v2 ')), { timeoutMs: 30_000, message: 'applied line for one edit' })
  assert.match(line, /✓ v2 conf\/f3\.json in [\d.]+ ms \[config\]/)

  // A later transaction too big to list (a forced reload of everything) is counts by kind.
  await p.save('trigger/go.txt', 'go')
  const big = await waitFor(() => cli.stdout.find((l) => l.includes('v4 ')), { timeoutMs: 60_000, message: `applied line for the reload; stdout:\n${cli.stdout.join('\n')}` })
  assert.match(big, /^✓ v4 1,501 files \(1,501 modified\) in [\d.]+ ms \[config\]/)
  assert.deepEqual(perFileLines(cli.stdout.join('\n')).filter((l) => !/conf\/f3\.json|config:changed f3$/.test(l)), [])
  assert.ok(cli.stdout.join('\n').length < 1000, cli.stdout.join('\n'))
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exit(), 0)
})

test('check on a terminal: a progress line with count and rate, cleared, then one summary line', async (t) => {
  if (!hasScript()) return t.skip('script (util-linux) not found')
  const p = await bigProject()
  t.after(() => p.cleanup())
  const run = startCliOnTty(['check'], p.root)
  t.after(() => run.child.kill('SIGKILL'))
  const timer = setTimeout(() => run.child.kill('SIGKILL'), RUN_MS)
  const code = await run.exit()
  clearTimeout(timer)
  const raw = run.raw()
  assert.equal(code, 0, raw)
  // The first report comes before any file is read, the last once all are: both are always drawn.
  assert.match(raw, /\rloading 0 of 1,500 files/)
  assert.match(raw, /\rloaded 1,500 files \([\d,]+ files\/s\), validating\.\.\./)
  const shown = screen(raw)
  assert.equal(shown.filter((l) => SUMMARY.test(l)).length, 1, shown.join('\n'))
  assert.deepEqual(shown.filter((l) => l.includes('loading') || l.includes('validating')), [], 'the progress line is cleared')
  assert.deepEqual(perFileLines(shown.join('\n')), [])
  assert.equal(shown.length, 3, shown.join('\n'))
  assert.match(shown[0] ?? '', /^◌ loaded 1,500 files in .*: dry run, would apply 1,500 files$/)

  // --quiet: no progress line, and a valid check says nothing.
  const quiet = startCliOnTty(['check', '--quiet'], p.root)
  t.after(() => quiet.child.kill('SIGKILL'))
  assert.equal(await quiet.exit(), 0, quiet.raw())
  assert.deepEqual(screen(quiet.raw()), [])
  assert.doesNotMatch(quiet.raw(), /loading/)
})

test('watch on a terminal: progress, one summary line, ready; SIGTERM exits 0', async (t) => {
  if (!hasScript()) return t.skip('script (util-linux) not found')
  const p = await bigProject()
  t.after(() => p.cleanup())
  const run = startCliOnTty([], p.root)
  t.after(() => run.child.kill('SIGKILL'))
  await waitFor(() => run.raw().includes('hotreload ready'), { timeoutMs: RUN_MS, message: `ready line; terminal:\n${run.raw()}` })
  const pid = await waitFor(() => run.pid(), { message: 'the CLI pid' })
  assert.match(run.raw(), /\rloading \d[\d,]* of 1,500 files/)
  const shown = screen(run.raw())
  assert.equal(shown.filter((l) => SUMMARY.test(l)).length, 1, shown.join('\n'))
  assert.match(shown.find((l) => SUMMARY.test(l)) ?? '', /v1 applied \[config\] \(1,500 config:changed; --verbose lists them\)$/)
  assert.deepEqual(perFileLines(shown.join('\n')), [])
  assert.deepEqual(shown.filter((l) => l.includes('loading') || l.includes('validating')), [], 'the progress line is cleared')
  // One edit is still its own line. Its line also says the signal handlers are in place: they are
  // registered once start resolves, just after "ready" (the detect branch registers them earlier).
  await p.save('conf/f3.json', '{"n":"three"}')
  await waitFor(() => screen(run.raw()).some((l) => /^✓ v2 conf\/f3\.json in [\d.]+ ms \[config\]$/.test(l)), { timeoutMs: 30_000, message: `applied line; terminal:\n${run.raw()}` })
  process.kill(pid, 'SIGTERM')
  assert.equal(await run.exit(), 0, run.raw())
})
