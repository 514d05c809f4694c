import assert from 'node:assert/strict'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { linkNodeModules, runCli, startCli } from './helpers/cli.js'
import { makeTempProject, type TempProject } from './helpers/index.js'

// A user's own ReloadHandler, written inline in hotreload.config.ts the way the README shows.
const CONFIG = `import { defineConfig, defineReloadHandler } from '@hotreload/core'

const settings = new Map<string, unknown>()

export default defineConfig({
  debounceMs: 20,
  plugins: [
    defineReloadHandler({
      name: 'settings',
      files: 'conf/**/*.json',
      async validate(change, ctx) {
        if (change.kind === 'deleted') return undefined
        const text = await ctx.readText()
        try {
          return JSON.parse(text)
        } catch (error) {
          ctx.problem('not valid JSON: ' + (error as Error).message, { line: 1, column: 1, hint: 'Fix the JSON syntax.' })
          return undefined
        }
      },
      handleChange(change, ctx) {
        settings.set(change.path, ctx.staged)
      },
    }),
  ],
})
`

async function project(files: Record<string, string>): Promise<TempProject> {
  const p = await makeTempProject({ 'hotreload.config.ts': CONFIG, ...files })
  await linkNodeModules(p.root)
  return p
}

test('hotreload check exits 0 when everything is valid and 1 with the problem when not', async (t) => {
  const p = await project({ 'conf/a.json': '{"ok":true}' })
  t.after(() => p.cleanup())
  const ok = await runCli(['check'], p.root)
  assert.equal(ok.code, 0, ok.stderr)
  assert.match(ok.stdout, /valid \(1 file checked\)/)

  await p.write('conf/b.json', '{"broken": ')
  const bad = await runCli(['check'], p.root)
  assert.equal(bad.code, 1)
  assert.match(bad.stdout, /conf\/b\.json:1:1: not valid JSON.*\(Fix the JSON syntax\.\)/)
})

test('a missing or broken config file is one clear message and exit code 2', async (t) => {
  const p = await makeTempProject({ 'broken.config.ts': 'export default {\n  plugins: [,\n' })
  t.after(() => p.cleanup())
  const missing = await runCli(['check'], p.root)
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /no hotreload\.config\.ts found/)
  assert.equal(missing.stderr.trim().split('\n').length, 1)

  const broken = await runCli(['check', '--config', 'broken.config.ts'], p.root)
  assert.equal(broken.code, 2)
  assert.match(broken.stderr, /broken\.config\.ts:\d+/)

  const badFlag = await runCli(['--no-such-flag'], p.root)
  assert.equal(badFlag.code, 2)
})

test('watch --json prints one event per line, applies edits, and exits 0 on SIGTERM', async (t) => {
  const p = await project({ 'conf/a.json': '{"n":1}' })
  t.after(() => p.cleanup())
  const cli = startCli(['--json'], p.root)
  t.after(() => cli.child.kill('SIGKILL'))
  await cli.waitForJson((e) => e.type === 'ready', 'ready')
  const initial = cli.json().find((e) => e.type === 'applied')
  assert.equal(initial?.version, 1)

  // Saved atomically: a plain write's empty intermediate file could be rejected first, and the
  // wait for "rejected" below would find that rejection (at version 1).
  await p.save('conf/a.json', '{"n":2}')
  const applied = await cli.waitForJson((e) => e.type === 'applied' && e.version === 2, 'applied v2')
  assert.deepEqual(applied.paths, ['conf/a.json'])
  assert.equal(typeof applied.durationMs, 'number')

  await p.save('conf/a.json', '{"n":')
  const rejected = await cli.waitForJson((e) => e.type === 'rejected', 'rejected')
  assert.equal(rejected.version, 2)

  cli.child.kill('SIGTERM')
  assert.equal(await cli.exit(), 0)
})

test('human output is short and says how long each reload took; SIGINT exits 0', async (t) => {
  const p = await project({ 'conf/a.json': '{"n":1}' })
  t.after(() => p.cleanup())
  const cli = startCli([], p.root)
  t.after(() => cli.child.kill('SIGKILL'))
  const { waitFor } = await import('./helpers/index.js')
  await waitFor(() => cli.stdout.some((l) => l.includes('hotreload ready')), { message: 'ready line' })
  await p.write('conf/a.json', '{"n":2}')
  const line = await waitFor(() => cli.stdout.find((l) => l.includes('v2 ')), { message: 'applied line' })
  assert.match(line, /✓ v2 conf\/a\.json in [\d.]+ ms \[settings\]/)
  assert.ok(!line.includes('\u001b['), 'no colour when not a TTY')
  cli.child.kill('SIGINT')
  assert.equal(await cli.exit(), 0)
})

test('--dry-run reports what would change and applies nothing', async (t) => {
  const p = await project({ 'conf/a.json': '{"n":1}' })
  t.after(() => p.cleanup())
  const cli = startCli(['--json', '--dry-run'], p.root)
  t.after(() => cli.child.kill('SIGKILL'))
  await cli.waitForJson((e) => e.type === 'ready', 'ready')
  await p.write('conf/a.json', '{"n":2}')
  const dry = await cli.waitForJson((e) => e.type === 'dry-run' && e.reason === 'watch', 'dry-run event')
  assert.deepEqual(dry.changes, [{ kind: 'modified', path: 'conf/a.json' }])
  assert.equal(dry.version, 0)
  assert.equal(cli.json().filter((e) => e.type === 'applied').length, 0)
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exit(), 0)
})

// A plugin's command receives its own flags; the CLI's global options are taken out wherever
// they stand, and `watch`/`check` still refuse unknown flags.
const COMMAND_CONFIG = `import { defineConfig } from '@hotreload/core'

export default defineConfig({
  include: ['conf/**/*.json'],
  plugins: [
    {
      name: 'echo',
      apply() {},
      command: {
        description: 'prints its arguments',
        // "show ..." only reads: it gets an instance that ran a dry run and wrote nothing.
        readOnly: (args) => args[0] === 'show',
        async run(args, ctx) {
          ctx.print(JSON.stringify({ args, json: ctx.json, files: ctx.reloader.status().files, last: ctx.reloader.status().last?.status }))
          return 0
        },
      },
    },
  ],
})
`

test('a plugin command gets its own flags and positionals; global options still apply around it', async (t) => {
  const p = await makeTempProject({ 'hotreload.config.ts': COMMAND_CONFIG, 'conf/a.json': '{}' })
  t.after(() => p.cleanup())
  await linkNodeModules(p.root)
  const run = await runCli(['--root', p.root, 'echo', 'prune', '--keep-versions', '1', '--json', '-x'], p.root)
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual(JSON.parse(run.stdout.trim().split('\n').at(-1) ?? ''), { args: ['prune', '--keep-versions', '1', '-x'], json: true, files: 1, last: 'applied' })

  const verbatim = await runCli(['echo', 'prune', '--', '--json', '--keep-versions', '2'], p.root)
  assert.equal(verbatim.code, 0, verbatim.stderr)
  assert.deepEqual(JSON.parse(verbatim.stdout.trim().split('\n').at(-1) ?? ''), { args: ['prune', '--json', '--keep-versions', '2'], json: false, files: 1, last: 'applied' })

  const strict = await runCli(['check', '--keep-versions', '1'], p.root)
  assert.equal(strict.code, 2)
  assert.match(strict.stderr, /Unknown option '--keep-versions'/)
  const extra = await runCli(['watch', 'extra'], p.root)
  assert.equal(extra.code, 2)
  assert.match(extra.stderr, /unexpected argument "extra" after "watch"/)
})

test('a read-only plugin command runs on a dry run: nothing is applied and nothing is written', async (t) => {
  const p = await makeTempProject({ 'hotreload.config.ts': COMMAND_CONFIG, 'conf/a.json': '{}' })
  t.after(() => p.cleanup())
  await linkNodeModules(p.root)
  const run = await runCli(['echo', 'show'], p.root)
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual(JSON.parse(run.stdout.trim().split('\n').at(-1) ?? ''), { args: ['show'], json: false, files: 1, last: 'dry-run' })
  await assert.rejects(access(join(p.root, '.hotreload')), /ENOENT/)
})

test('hotreload check validates without applying: no handler runs, nothing is written', async (t) => {
  const config = `import { writeFileSync } from 'node:fs'
import { defineConfig, defineReloadHandler } from '@hotreload/core'

export default defineConfig({
  plugins: [
    defineReloadHandler({
      name: 'marker',
      files: 'conf/**/*.json',
      async validate(change, ctx) {
        if (change.kind !== 'deleted') JSON.parse(await ctx.readText())
      },
      handleChange() {
        writeFileSync('applied.marker', 'applied')
      },
    }),
  ],
})
`
  const p = await makeTempProject({ 'hotreload.config.ts': config, 'conf/a.json': '{"ok":true}' })
  t.after(() => p.cleanup())
  await linkNodeModules(p.root)
  const checked = await runCli(['check'], p.root)
  assert.equal(checked.code, 0, checked.stderr)
  assert.match(checked.stdout, /valid \(1 file checked\)/)
  await assert.rejects(access(join(p.root, 'applied.marker')), { code: 'ENOENT' })
})
