// Issue 13: what a new user meets in the CLI during the first hour.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { linkNodeModules, runCli } from './helpers/cli.js'
import { makeTempProject, type TempProject } from './helpers/index.js'

const CONFIG_APP = `import { defineConfig } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import { Type } from '@sinclair/typebox'

export const configs = config({
  schemas: { app: Type.Object({ port: Type.Integer({ default: 3000 }), greeting: Type.String() }) },
  restartRequired: { app: ['port'] },
})

export default defineConfig({ debounceMs: 20, plugins: [configs] })
`

async function project(files: Record<string, string>): Promise<TempProject> {
  const p = await makeTempProject(files)
  await linkNodeModules(p.root)
  return p
}

// Problem 3: with no file at all, check printed "✓ valid (0 files checked)" and exited 0.
test('check reports a required config that no file defines, naming the file to create, even with nothing watched', async (t) => {
  const p = await project({ 'hotreload.config.ts': CONFIG_APP })
  t.after(() => p.cleanup())
  const checked = await runCli(['check'], p.root)
  assert.equal(checked.code, 1, checked.stdout)
  assert.match(checked.stdout, /config "app" is required but no file defines it \(Create config\/app\.json \(or \.yaml, \.yml, \.toml\)/)
  assert.doesNotMatch(checked.stdout, /✓ valid/)
})

const WITH_BACKUP = `import { defineConfig } from '@hotreload/core'
import backup from '@hotreload/plugin-backup'

export default defineConfig({ include: ['conf/**/*.json'], plugins: [backup()] })
`

// Problem 7: kernel.log was a silent logger under the CLI, so this warning never appeared.
test("plugins' warnings reach stderr by default; --quiet hides them; --verbose and --quiet exclude each other", async (t) => {
  const p = await project({
    'hotreload.config.ts': WITH_BACKUP,
    'conf/a.json': '{}',
    '.hotreload/backups/index.jsonl': '{"type":"backup", cut short\n',
  })
  t.after(() => p.cleanup())
  const normal = await runCli(['backup', 'list'], p.root)
  assert.equal(normal.code, 0, normal.stderr)
  assert.match(normal.stderr, /warning: .*index\.jsonl: skipped 1 damaged line/)
  const quiet = await runCli(['backup', 'list', '--quiet'], p.root)
  assert.equal(quiet.code, 0, quiet.stderr)
  assert.doesNotMatch(quiet.stderr, /damaged/)
  const both = await runCli(['--verbose', '--quiet'], p.root)
  assert.equal(both.code, 2)
  assert.match(both.stderr, /--verbose and --quiet cannot be used together/)
})

test('--help lists the plugin commands; <command> --help shows that command, not the global help', async (t) => {
  const p = await project({ 'hotreload.config.ts': WITH_BACKUP })
  t.after(() => p.cleanup())
  const global = await runCli(['--help'], p.root)
  assert.equal(global.code, 0)
  assert.match(global.stdout, /Plugin commands \(from the config file\):\n {2}backup +list, restore and prune/)
  const backup = await runCli(['backup', '--help'], p.root)
  assert.equal(backup.code, 0, backup.stderr)
  assert.match(backup.stdout, /^Usage:\n {2}hotreload backup list \[path\]/)
  assert.doesNotMatch(backup.stdout, /Exit codes: 0 ok/)
  const check = await runCli(['check', '--help'], p.root)
  assert.match(check.stdout, /^Usage: hotreload check/)
  const typo = await runCli(['bakup'], p.root)
  assert.equal(typo.code, 2)
  assert.match(typo.stderr, /unknown command "bakup" \(did you mean "backup"\?\)/)
})

test('init writes a commented config for the installed plugins and a matching example; check passes; a second init overwrites nothing', async (t) => {
  const p = await project({ 'package.json': '{ "type": "module" }' })
  t.after(() => p.cleanup())
  const init = await runCli(['init'], p.root)
  assert.equal(init.code, 0, init.stderr)
  assert.match(init.stdout, /created hotreload\.config\.ts \(plugins: config, templates, assets, backup\)/)
  assert.match(init.stdout, /created config\/app\.json/)
  const { readFile } = await import('node:fs/promises')
  const written = await readFile(p.path('hotreload.config.ts'), 'utf8')
  assert.match(written, /^\/\/ /m)
  assert.match(written, /restartRequired: \{ app: \['port'\] \}/)
  const checked = await runCli(['check'], p.root)
  assert.equal(checked.code, 0, `${checked.stdout}\n${checked.stderr}`)
  assert.match(checked.stdout, /✓ valid \(1 file checked\)/)

  await p.write('hotreload.config.ts', '// mine\n')
  const again = await runCli(['init'], p.root)
  assert.equal(again.code, 1)
  assert.match(again.stderr, /hotreload\.config\.ts already exists; nothing was written/)
  assert.equal(await readFile(p.path('hotreload.config.ts'), 'utf8'), '// mine\n')
})

const SETTINGS = `import { defineConfig, defineReloadHandler } from '@hotreload/core'

export default defineConfig({
  debounceMs: 20,
  plugins: [
    defineReloadHandler({
      name: 'settings',
      files: 'conf/**/*.json',
      async validate(change, ctx) {
        if (change.kind === 'deleted') return undefined
        const value = JSON.parse(await ctx.readText()) as Record<string, unknown>
        for (const [i, key] of Object.keys(value).entries()) {
          if (key.startsWith('bad')) ctx.problem(\`key "\${key}" is not allowed\`, { line: i + 2, column: 3 })
        }
        return value
      },
      handleChange() {},
    }),
  ],
})
`

test('plurals, problems in file and line order, FORCE_COLOR, and a clear error for --root at a file', async (t) => {
  const p = await project({
    'hotreload.config.ts': SETTINGS,
    'conf/b.json': '{\n "badOne": 1,\n "badTwo": 2\n}',
    'conf/a.json': '{\n "ok": 1,\n "badThree": 3\n}',
  })
  t.after(() => p.cleanup())
  const bad = await runCli(['check'], p.root)
  assert.equal(bad.code, 1)
  const lines = bad.stdout.split('\n').filter((l) => l.includes('is not allowed'))
  assert.deepEqual(
    lines.map((l) => /(conf\/\w\.json:\d+)/.exec(l)?.[1]),
    ['conf/a.json:3', 'conf/b.json:2', 'conf/b.json:3'],
  )
  assert.match(bad.stdout, /✗ invalid: 3 problems/)

  await p.remove('conf/b.json')
  const one = await runCli(['check'], p.root)
  assert.match(one.stdout, /but 1 problem:/)
  assert.match(one.stdout, /✗ invalid: 1 problem$/m)

  const colored = await runCli(['check'], p.root, 30_000, { FORCE_COLOR: '1' })
  assert.ok(colored.stdout.includes('\u001b['), 'FORCE_COLOR=1 colours piped output')
  const plain = await runCli(['check'], p.root)
  assert.ok(!plain.stdout.includes('\u001b['), 'no colour when piped')

  const rootFile = await runCli(['check', '--root', p.path('conf/a.json')], p.root)
  assert.equal(rootFile.code, 2)
  assert.match(rootFile.stderr, /--root .*conf\/a\.json is a file, not a directory/)
  assert.doesNotMatch(rootFile.stderr, /ENOTDIR/)
})

test('watch: config:changed shows its diff, a file put back after a rejection prints that it is resolved, --verbose adds plugins\' info and debug lines', async (t) => {
  const p = await project({ 'hotreload.config.ts': CONFIG_APP, 'config/app.json': '{ "greeting": "Hello" }' })
  t.after(() => p.cleanup())
  const { startCli } = await import('./helpers/cli.js')
  const { waitFor } = await import('./helpers/index.js')
  const cli = startCli(['--verbose'], p.root)
  t.after(() => cli.child.kill('SIGKILL'))
  await waitFor(() => cli.stdout.some((l) => l.includes('hotreload ready')), { timeoutMs: 20_000, message: 'ready' })
  // --verbose: the plugins' debug and info lines too, on stderr.
  await waitFor(() => cli.stderr.some((l) => l === 'debug: configs loaded: app'), { timeoutMs: 20_000, message: `the debug line; stderr:\n${cli.stderr.join('\n')}` })
  await p.save('config/app.json', '{ "greeting": "Welcome back" }')
  await waitFor(() => cli.stdout.some((l) => l.includes('~ greeting: "Hello" -> "Welcome back"')), { timeoutMs: 20_000, message: `the diff line; stdout:\n${cli.stdout.join('\n')}` })
  await p.save('config/app.json', '{ "greeting": 42 }')
  await waitFor(() => cli.stdout.some((l) => l.startsWith('✗ rejected config/app.json: 1 problem')), { timeoutMs: 20_000, message: 'the rejection' })
  await p.save('config/app.json', '{ "greeting": "Welcome back" }')
  const resolved = await waitFor(() => cli.stdout.find((l) => l.startsWith('✓ resolved')), { timeoutMs: 20_000, message: `the resolved line; stdout:\n${cli.stdout.join('\n')}` })
  assert.match(resolved, /config\/app\.json: back to the applied content, serving v2/)
  assert.ok(cli.stderr.some((l) => l.startsWith('info: config "app" changed: ~ greeting')), 'the info line with --verbose')
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exit(), 0)
})

// Problem 6: 0-based columns printed twice, source positions of the transpiled code, and a
// Node require stack for a plugin that is not installed.
test('config-file load errors: 1-based positions in the TypeScript source, printed once; a missing package says what to install', async (t) => {
  const p = await project({
    'syntax.config.ts': "import { defineConfig } from '@hotreload/core'\n\nconst x = ;\n\nexport default defineConfig({})\n",
    'throws.config.ts': "import { defineConfig } from '@hotreload/core'\n\ninterface Shape { a: number }\nconst typed: Shape = { a: 1 }\nif (typed.a) throw new Error('no database URL')\nexport default defineConfig({})\n",
    'missing.config.ts': "import { defineConfig } from '@hotreload/core'\nimport templates from '@hotreload/plugin-templatez'\n\nexport default defineConfig({ plugins: [templates()] })\n",
  })
  t.after(() => p.cleanup())
  const syntax = await runCli(['check', '--config', 'syntax.config.ts'], p.root)
  assert.equal(syntax.code, 2)
  assert.match(syntax.stderr, /syntax\.config\.ts:3:11: syntax error: Unexpected token/)
  assert.equal(syntax.stderr.match(/syntax\.config\.ts/g)?.length, 1, syntax.stderr)

  const thrown = await runCli(['check', '--config', 'throws.config.ts'], p.root)
  assert.equal(thrown.code, 2)
  assert.match(thrown.stderr, /throws\.config\.ts:5:20: the config file threw: no database URL/)

  const missing = await runCli(['check', '--config', 'missing.config.ts'], p.root)
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /missing\.config\.ts:2:23: the config file imports "@hotreload\/plugin-templatez", which is not installed \(Did you mean "@hotreload\/plugin-templates"\? Otherwise run `npm install @hotreload\/plugin-templatez`\.\)/)
  assert.doesNotMatch(missing.stderr, /Require stack|export default/)
})
