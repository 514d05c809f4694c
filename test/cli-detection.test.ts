import assert from 'node:assert/strict'
import { test } from 'node:test'
import { linkNodeModules, startCli, runCli } from './helpers/cli.js'
import { makeTempProject, waitFor, type TempProject } from './helpers/index.js'
import { access, writeFile } from 'node:fs/promises'

// A handler that marks the start of the initial load in a file and takes its time per file, so
// that a signal sent once the marker exists lands during the load.
const CONFIG = `import { writeFileSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import { defineConfig, defineReloadHandler } from '@hotreload/core'

let marked = false
export default defineConfig({
  debounceMs: 20,
  plugins: [
    defineReloadHandler({
      name: 'settings',
      files: 'conf/**/*.json',
      async validate(change, ctx) {
        if (!marked) {
          marked = true
          writeFileSync('loading.marker', String(process.pid))
        }
        await delay(2)
        return change.kind === 'deleted' ? undefined : JSON.parse(await ctx.readText())
      },
      handleChange() {},
    }),
  ],
})
`

async function project(t: { after(fn: () => Promise<void>): void }, files: Record<string, string>): Promise<TempProject> {
  const p = await makeTempProject({ 'hotreload.config.ts': CONFIG, ...files })
  t.after(() => p.cleanup())
  await linkNodeModules(p.root)
  return p
}

const MANY = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`conf/d${i % 20}/f${i}.json`, `{"i":${i}}`]))

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} during a long initial load (2,000 files) closes cleanly with exit code 0`, async (t) => {
    const p = await project(t, MANY)
    const cli = startCli(['--json'], p.root)
    t.after(() => void cli.child.kill('SIGKILL'))
    await waitFor(() => access(p.path('loading.marker')).then(() => true), { timeoutMs: 30_000, message: 'the initial load to start' })
    assert.ok(!cli.json().some((e) => e.type === 'ready'), 'the signal comes during the initial load')
    cli.child.kill(signal)
    const code = await cli.exit()
    const output = [...cli.stdout, ...cli.stderr].join('\n')
    assert.equal(code, 0, output)
    assert.equal(cli.child.signalCode, null, 'the process was not killed by the signal')
    // The instance finished its load, then closed: the load was not cut off by a dying process.
    assert.ok(cli.json().some((e) => e.type === 'ready'), output.slice(0, 2000))
  })
}

test('--watcher parcel watches with @parcel/watcher; an unknown --watcher is a usage error naming the backends', async (t) => {
  const p = await project(t, { 'conf/a.json': '{"v":1}' })
  const cli = startCli(['--json', '--watcher', 'parcel'], p.root)
  t.after(() => void cli.child.kill('SIGKILL'))
  await cli.waitForJson((e) => e.type === 'ready', 'ready')
  await writeFile(p.path('conf/a.json'), '{"v":2}')
  const applied = await cli.waitForJson((e) => e.type === 'applied' && (e.paths as string[]).includes('conf/a.json') && e.version === 2, 'the edit applied through parcel')
  assert.equal(applied.type, 'applied')
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exit(), 0)

  const bad = await runCli(['--watcher', 'nope'], p.root)
  assert.equal(bad.code, 2)
  assert.match(bad.stdout + bad.stderr, /unknown watcher backend "nope"/)
  assert.match(bad.stdout + bad.stderr, /chokidar, parcel/)
})
