// Every package README's snippets, run in a fresh project installed from the tarballs.
import assert from 'node:assert/strict'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { repoRoot } from './helpers/cli.js'
import { FRESH_CONFIG, packAll, result, run, TOOLS, typecheck, type Packed } from './helpers/pack.js'
import { commands, readSnippets, type Snippet } from './helpers/snippets.js'

let packed: Packed
before(async () => {
  packed = await packAll({ build: false })
})
after(() => packed.remove())

const READMES = ['packages/core/README.md', 'packages/plugin-config/README.md', 'packages/plugin-templates/README.md', 'packages/plugin-assets/README.md', 'packages/plugin-backup/README.md']

// What a README's snippet is expected to print, when it prints something worth checking.
const EXPECTED: Record<string, RegExp> = {
  'packages/core/README.md#2': /flags: \{"beta":true\}/,
  'packages/plugin-templates/README.md#1': /<h1>Hello Ada<\/h1>/,
  'packages/plugin-assets/README.md#1': /\/assets\/css\/app\.[0-9a-f]{8}\.css/,
}

// Every package README: its install line, each TypeScript block type-checked with --strict and
// run (except `no-run` servers), each JSON block parsed, each `hotreload` command line run.
test('every package README snippet installs, type-checks, runs, and its CLI lines work, in a fresh project', { timeout: 600_000 }, async (t) => {
  const app = await packed.project('readmes', {
    'hotreload.config.ts': FRESH_CONFIG.replace('assets()', "assets({ publicPath: '/assets/' })"),
    'config/app.json': '{ "port": 3000, "greeting": "Hello" }',
    'templates/pages/home.hbs': '<h1>Hello {{user}}</h1>\n',
    'static/css/app.css': 'body { color: red }\n',
    'flags.json': '{ "beta": true }\n',
    'flags/a.json': '{ "x": 1 }\n',
  })
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'readmes', private: true, type: 'module' }))
  const all: { key: string; snippet: Snippet }[] = []
  for (const readme of READMES) {
    const snippets = await readSnippets(readme)
    snippets.forEach((snippet, i) => all.push({ key: `${readme}#${snippets.filter((s, j) => j <= i && s.lang === snippet.lang).length}`, snippet }))
  }
  // Install lines: each README has one naming its own package, and they are what gets installed.
  const installs = all.filter((s) => s.snippet.lang === 'sh').flatMap((s) => commands(s.snippet)).filter((c) => c[0] === 'npm' && c[1] === 'install')
  for (const readme of READMES) {
    const own = JSON.parse(await readFile(join(repoRoot, dirname(readme), 'package.json'), 'utf8')) as { name: string }
    const lines = all.filter((s) => s.snippet.readme === readme && s.snippet.lang === 'sh').flatMap((s) => commands(s.snippet)).filter((c) => c[1] === 'install')
    assert.ok(lines.some((c) => c.includes(own.name) && c.includes('@hotreload/core')), `${readme}: an install line with ${own.name} and @hotreload/core`)
  }
  const wanted = [...new Set(installs.flatMap((c) => c.slice(2)).filter((a) => !a.startsWith('-')))]
  await packed.install(app, [...wanted, 'eta@^4.6.0', 'tsx@^4.23.15', ...TOOLS])

  const ts = all.filter((s) => s.snippet.lang === 'ts')
  await mkdir(join(app, 'snippets'))
  const fileOf = (key: string) => `snippets/${key.replace(/^packages\//, '').replace(/\/README\.md#/, '-')}.ts`
  for (const { key, snippet } of ts) await writeFile(join(app, fileOf(key)), snippet.code)
  await typecheck(app, ts.map((s) => fileOf(s.key)))

  const ran: string[] = []
  for (const { key, snippet } of ts) {
    if (snippet.flags.includes('no-run')) continue
    const done = await result(run(join(app, 'node_modules/.bin/tsx'), [fileOf(key)], { cwd: app, timeout: 60_000 }))
    assert.equal(done.code, 0, `${key} (line ${snippet.line}) exits 0:\n${done.out}`)
    const expected = EXPECTED[key]
    if (expected) assert.match(done.out, expected, `${key} prints what it says`)
    ran.push(key)
  }
  for (const { key, snippet } of all.filter((s) => s.snippet.lang === 'json')) {
    assert.doesNotThrow(() => JSON.parse(snippet.code), `${key} is valid JSON`)
  }
  const cliLines = all.filter((s) => s.snippet.lang === 'sh').flatMap((s) => commands(s.snippet)).filter((c) => c[0] === 'hotreload')
  for (const line of cliLines) {
    const done = await result(run(join(app, 'node_modules/.bin/hotreload'), line.slice(1), { cwd: app, timeout: 60_000 }))
    assert.equal(done.code, 0, `${line.join(' ')}:\n${done.out}`)
    ran.push(line.join(' '))
  }
  t.diagnostic(`ran: ${ran.join('; ')}`)
  assert.deepEqual(Object.keys(EXPECTED).filter((k) => !ran.includes(k)), [], 'every expectation belongs to a snippet that ran')
})

