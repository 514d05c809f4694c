import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import { repoRoot } from './helpers/cli.js'
import { waitFor } from './helpers/index.js'
import { commands, readSnippets, type Snippet } from './helpers/snippets.js'

const run = promisify(execFile)
const PACKAGES = ['core', 'plugin-config', 'plugin-templates', 'plugin-assets', 'plugin-backup']
// What the fresh projects need besides the READMEs' own install lines: the compiler that
// type-checks the snippets, in the versions the repository uses.
const TOOLS = ['typescript@^5.9.3', '@types/node@^20.19.0']

let work = ''
const tarballs = new Map<string, string>()

// Pack once; every test installs from these tarballs, as a user installs from the registry.
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hotreload-pack-'))
  await mkdir(join(work, 'tarballs'))
  for (const name of PACKAGES) {
    const { stdout } = await run('npm', ['pack', '--pack-destination', join(work, 'tarballs'), '--json'], { cwd: join(repoRoot, 'packages', name), maxBuffer: 32 * 1024 * 1024 })
    const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { name: string; filename: string }[]
    if (info) tarballs.set(info.name, join(work, 'tarballs', info.filename))
  }
})
after(() => rm(work, { recursive: true, force: true }))

/** `npm install` in `app`, with @hotreload/* names replaced by their tarballs. */
async function npmInstall(app: string, args: readonly string[]): Promise<void> {
  const mapped = args.map((a) => tarballs.get(a) ?? a)
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...mapped], { cwd: app, timeout: 240_000 })
}

async function freshProject(name: string, files: Record<string, string>): Promise<string> {
  const app = join(work, name)
  for (const [rel, content] of Object.entries({ 'package.json': JSON.stringify({ name, private: true }), ...files })) {
    await mkdir(dirname(join(app, rel)), { recursive: true })
    await writeFile(join(app, rel), content)
  }
  return app
}

const result = (p: Promise<{ stdout: string; stderr: string }>) =>
  p.then(
    (r) => ({ code: 0, out: `${r.stdout}\n${r.stderr}` }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: `${e.stdout}\n${e.stderr}` }),
  )

async function typecheck(app: string, files: readonly string[]): Promise<void> {
  const checked = await result(
    run(join(app, 'node_modules/.bin/tsc'), ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', ...files], { cwd: app }),
  )
  assert.equal(checked.code, 0, `tsc --noEmit --strict:\n${checked.out}`)
}

test('the tarballs hold what the packages point at: LICENSE, CHANGELOG, the sources the maps and the source condition name', async () => {
  const license = await readFile(join(repoRoot, 'LICENSE'), 'utf8')
  for (const [name, tgz] of tarballs) {
    const { stdout } = await run('tar', ['-tzf', tgz])
    const listed = new Set(stdout.split('\n').map((l) => l.replace(/^package\//, '')))
    for (const file of ['LICENSE', 'CHANGELOG.md', 'README.md', 'src/index.ts', 'dist/index.js']) assert.ok(listed.has(file), `${name}: ${file} in the tarball`)
    const { stdout: text } = await run('tar', ['-xzOf', tgz, 'package/LICENSE'])
    assert.equal(text, license, `${name}: the root LICENSE`)
    const { stdout: pkgText } = await run('tar', ['-xzOf', tgz, 'package/package.json'])
    const pkg = JSON.parse(pkgText) as { exports: Record<string, Record<string, string>>; repository?: { directory?: string }; homepage?: string; bugs?: unknown; keywords?: string[] }
    assert.ok(listed.has(pkg.exports['.']?.['source']?.replace(/^\.\//, '') ?? ''), `${name}: the source condition's file is in the tarball`)
    assert.ok(pkg.repository?.directory && pkg.homepage && pkg.bugs && (pkg.keywords?.length ?? 0) > 0, `${name}: repository.directory, homepage, bugs, keywords`)
    // Every source map names sources that the tarball ships.
    for (const map of [...listed].filter((f) => f.endsWith('.js.map'))) {
      const { stdout: mapText } = await run('tar', ['-xzOf', tgz, `package/${map}`])
      for (const source of (JSON.parse(mapText) as { sources: string[] }).sources) {
        const resolved = join(dirname(map), source)
        assert.ok(listed.has(resolved), `${name}: ${map} points at ${resolved}, which is in the tarball`)
      }
    }
  }
})

// What a user does: npm install the published tarballs into a project outside the repository,
// write a hotreload.config.ts, and run `npx hotreload`.
test('the packed packages install into a fresh project where npx hotreload runs with every plugin', { timeout: 300_000 }, async (t) => {
  const app = await freshProject('app', {
    'hotreload.config.ts': FRESH_CONFIG,
    'config/app.json': '{ "port": 8080, "greeting": "hello" }',
    'templates/page.hbs': '<h1>{{title}}</h1>',
    'static/app.css': 'body { color: red }',
  })
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }))
  await npmInstall(app, [...tarballs.keys(), 'handlebars@^4.7.10'])

  const check = await result(run('npx', ['--no-install', 'hotreload', 'check'], { cwd: app }))
  assert.equal(check.code, 0, check.out)

  // The long-running watch starts the bin npm linked, not `npx`: npm 11's npx does not pass
  // SIGTERM on to its child, so the signal would never reach hotreload.
  const child = spawn(join(app, 'node_modules', '.bin', 'hotreload'), ['--json'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => child.kill('SIGKILL'))
  const lines: string[] = []
  child.stdout.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)))
  const events = () => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; version: number; plugins?: string[] })
  await waitFor(() => events().some((e) => e.type === 'ready'), { timeoutMs: 30_000, message: 'ready from the installed CLI' })
  const initial = events().find((e) => e.type === 'applied')
  assert.deepEqual([...(initial?.plugins ?? [])].sort(), ['assets', 'backup', 'config', 'templates'])
  await writeFile(join(app, 'config/app.json'), '{ "port": 8080, "greeting": "hi" }')
  await waitFor(() => events().some((e) => e.type === 'applied' && e.version === 2), { timeoutMs: 30_000, message: 'applied v2' })
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  child.kill('SIGTERM')
  assert.equal(await exited, 0)
})

// The root README's Quick start, verbatim: its install lines, its files, its commands, its app.
test("the root README's Quick start works as written in a fresh project", { timeout: 400_000 }, async (t) => {
  const blocks = await readSnippets('README.md', '## Quick start in your project')
  const app = await freshProject('quickstart', {})
  const shell = blocks.filter((b) => b.lang === 'sh').flatMap(commands)
  assert.ok(shell.some((c) => c.join(' ').startsWith('npm install @hotreload/core')), 'an install line')
  for (const command of shell.filter((c) => c[0] === 'npm')) {
    if (command[1] === 'install') await npmInstall(app, command.slice(2))
    else await run(command[0] ?? 'npm', command.slice(1), { cwd: app })
  }
  await npmInstall(app, ['--save-dev', ...TOOLS])
  const files = blocks.filter((b) => b.file)
  assert.deepEqual(files.map((b) => b.file), ['hotreload.config.ts', 'config/app.json', 'app.ts'])
  for (const block of files) {
    await mkdir(dirname(join(app, block.file ?? '')), { recursive: true })
    // The one change: port 0, so the test never collides with a server already on 3000.
    await writeFile(join(app, block.file ?? ''), block.file === 'config/app.json' ? block.code.replace('3000', '0') : block.code)
  }
  await typecheck(app, files.filter((b) => b.lang === 'ts').map((b) => b.file ?? ''))

  const cli = shell.filter((c) => c[0] === 'npx' && c[1] === 'hotreload')
  assert.deepEqual(cli.map((c) => c.slice(2).join(' ')), ['check', '', '--json'])
  const checked = await result(run('npx', ['--no-install', 'hotreload', 'check'], { cwd: app }))
  assert.equal(checked.code, 0, checked.out)
  assert.match(checked.out, /✓ valid \(1 file checked\)/)
  for (const args of [[], ['--json']]) {
    const watching = spawn(join(app, 'node_modules/.bin/hotreload'), args, { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] })
    t.after(() => watching.kill('SIGKILL'))
    let out = ''
    watching.stdout.on('data', (d: Buffer) => (out += d.toString()))
    await waitFor(() => out.includes(args.length ? '"type":"ready"' : 'hotreload ready'), { timeoutMs: 30_000, message: `npx hotreload ${args.join(' ')} ready` })
    const closed = new Promise<number | null>((resolve) => watching.on('close', resolve))
    watching.kill('SIGTERM')
    assert.equal(await closed, 0)
  }

  // `npx tsx app.ts`: the app serves the greeting, takes an edit without a restart, refuses a
  // port change, and closes on Ctrl-C.
  const runApp = shell.find((c) => c[0] === 'npx' && c[1] === 'tsx')
  assert.deepEqual(runApp, ['npx', 'tsx', 'app.ts'])
  const server = spawn(join(app, 'node_modules/.bin/tsx'), ['app.ts'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => server.kill('SIGKILL'))
  let out = ''
  server.stdout.on('data', (d: Buffer) => (out += d.toString()))
  server.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const port = await waitFor(() => /port: (\d+)/.exec(out)?.[1], { timeoutMs: 60_000, message: `the app to listen; output:\n${out}` })
  const get = async () => (await fetch(`http://127.0.0.1:${port}/`)).text()
  assert.equal(await get(), 'Hello\n')
  await writeFile(join(app, 'config/app.json'), `{ "port": 0, "greeting": "Hello again" }`)
  await waitFor(async () => (await get()) === 'Hello again\n', { timeoutMs: 30_000, message: 'the new greeting' })
  assert.match(out, /config "app" changed/)
  await writeFile(join(app, 'config/app.json'), `{ "port": 4000, "greeting": "must not show" }`)
  await waitFor(() => out.includes('restart needed'), { timeoutMs: 30_000, message: `the port change refused; output:\n${out}` })
  assert.equal(await get(), 'Hello again\n')
  const closed = new Promise<number | null>((resolve) => server.on('close', resolve))
  server.kill('SIGINT')
  assert.equal(await closed, 0, out)
})

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
  const app = await freshProject('readmes', {
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
  await npmInstall(app, [...wanted, 'eta@^4.6.0', 'tsx@^4.23.15', ...TOOLS])

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

const FRESH_CONFIG = `import { defineConfig } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import templates, { handlebars } from '@hotreload/plugin-templates'
import assets from '@hotreload/plugin-assets'
import backup from '@hotreload/plugin-backup'

export default defineConfig({
  debounceMs: 20,
  plugins: [config(), templates({ engine: handlebars() }), assets(), backup()],
})
`
