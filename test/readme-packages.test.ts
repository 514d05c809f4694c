/// <reference lib="dom" />
// (page.evaluate callbacks run in the page and use its globals.)
// Every package README's snippets, run in a fresh project installed from the tarballs.
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test, type TestContext } from 'node:test'
import { chromium, type Browser } from 'playwright-core'
import { writeFileAtomic } from '@hotreload/core'
import { findChromium } from '../packages/plugin-browser/test/setup.js'
import { repoRoot } from './helpers/cli.js'
import { waitFor } from './helpers/index.js'
import { FRESH_CONFIG, packAll, result, run, TOOLS, typecheck, type Packed } from './helpers/pack.js'
import { commands, readSnippets, type Snippet } from './helpers/snippets.js'

let packed: Packed
before(async () => {
  packed = await packAll({ build: false })
})
after(() => packed.remove())

const READMES = [
  'packages/core/README.md',
  'packages/plugin-config/README.md',
  'packages/plugin-templates/README.md',
  'packages/plugin-assets/README.md',
  'packages/plugin-backup/README.md',
  'packages/plugin-browser/README.md',
  'packages/plugin-fleet/README.md',
]

// What a README's snippet is expected to print, when it prints something worth checking.
const EXPECTED: Record<string, RegExp> = {
  'packages/core/README.md#2': /flags: \{"beta":true\}/,
  'packages/plugin-templates/README.md#1': /<h1>Hello Ada<\/h1>/,
  'packages/plugin-assets/README.md#1': /\/assets\/css\/app\.[0-9a-f]{8}\.css/,
  'packages/plugin-fleet/README.md#3': /web-1 serves fleet version 1: Hello, fleet/,
}

/** A port free now on 127.0.0.1, for a README server that names a fixed one. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A redis-server on a unix socket in a temp dir, for the `redis` snippets; stopped by pid. */
async function startRedis(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hotreload-readme-redis-'))
  const socket = join(dir, 'redis.sock')
  const child = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'yes', '--dir', dir], { stdio: 'ignore' })
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    await rm(dir, { recursive: true, force: true })
  })
  // redis-server creates its socket once it accepts connections.
  await waitFor(() => existsSync(socket), { timeoutMs: 20_000, message: 'redis-server to listen' })
  return socket
}

const hasRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
const chromiumPath = findChromium()

// Every package README: its install line, each TypeScript block type-checked with --strict and
// run (except `no-run` ones; `server` ones are started, probed and stopped; `redis` ones get a
// redis-server of their own), each JSON block parsed, each `hotreload` command line run.
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
  const skipped: string[] = []
  let redisSocket: string | undefined
  let browser: Browser | undefined
  t.after(() => browser?.close())
  for (const { key, snippet } of ts) {
    if (snippet.flags.includes('no-run')) continue
    await t.test(`${key} (line ${snippet.line}) runs`, async (st) => {
      if (snippet.flags.includes('redis')) {
        if (!hasRedis) return void (skipped.push(key), st.skip('redis-server not found'))
        redisSocket ??= await startRedis(t)
      }
      if (snippet.flags.includes('server')) {
        await runServer(st, key, snippet, app, async (url) => {
          if (!chromiumPath) return void st.skip('chromium not found (install it, or set HOTRELOAD_CHROMIUM)')
          browser ??= await chromium.launch({ executablePath: chromiumPath, args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] })
          await openInChromium(st, browser, url, app)
        })
        ran.push(key)
        return
      }
      const done = await result(run(join(app, 'node_modules/.bin/tsx'), [fileOf(key)], { cwd: app, timeout: 60_000, env: { ...process.env, ...(redisSocket ? { FLEET_REDIS: redisSocket } : {}) } }))
      assert.equal(done.code, 0, `${key} (line ${snippet.line}) exits 0:\n${done.out}`)
      const expected = EXPECTED[key]
      if (expected) assert.match(done.out, expected, `${key} prints what it says`)
      ran.push(key)
    })
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
  assert.deepEqual(Object.keys(EXPECTED).filter((k) => !ran.includes(k) && !skipped.includes(k)), [], 'every expectation belongs to a snippet that ran')
})

/**
 * A `server` snippet (a server that never exits): started with its port (3000 in the README)
 * changed to a free one, the one change made to it. Its page must carry the client's tag and
 * its prefix must serve the client and the status; `inBrowser` then opens the page.
 */
async function runServer(t: TestContext, key: string, snippet: Snippet, app: string, inBrowser: (url: string) => Promise<void>): Promise<void> {
  assert.match(snippet.code, /\b3000\b/, `${key}: the README server listens on 3000`)
  const port = await freePort()
  const file = `snippets/${key.replace(/^packages\//, '').replace(/\/README\.md#/, '-')}.server.ts`
  await writeFile(join(app, file), snippet.code.replaceAll('3000', String(port)))
  // node itself with tsx's loader, not the tsx CLI: the CLI runs the program in a child of its
  // own, which a SIGKILL of the CLI (the cleanup after a failure) would leave running.
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', file], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const url = `http://127.0.0.1:${port}/`
  const page = await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`${key} exited with ${child.exitCode}:\n${out}`)
      const res = await fetch(url).catch(() => undefined)
      return res?.ok ? res.text() : undefined
    },
    { timeoutMs: 60_000, message: `${key} to serve its page; output:\n${out}` },
  )
  assert.match(page, /<script type="module" src="\/__hotreload\/client\.js[^"]*"[^>]*><\/script>/, `${key}: the page carries the client's tag`)
  const client = await fetch(`${url}__hotreload/client.js`)
  assert.equal(client.status, 200)
  assert.match(client.headers.get('content-type') ?? '', /javascript/)
  // (The version is the project's persisted counter: earlier snippets ran in the same root.)
  const status = (await (await fetch(`${url}__hotreload/status`)).json()) as { version?: unknown; plugins?: string[] }
  assert.equal(typeof status.version, 'number', `${key}: /__hotreload/status answers the instance's status: ${JSON.stringify(status)}`)
  assert.deepEqual([...(status.plugins ?? [])].sort(), ['browser', 'config'])
  const metrics = await fetch(`${url}__hotreload/metrics`)
  assert.equal(metrics.status, 200)
  assert.match(await metrics.text(), /^# (HELP|TYPE) /m, `${key}: /__hotreload/metrics answers Prometheus text`)
  await inBrowser(url)
  child.kill('SIGTERM')
  await exited
}

/** The page of a README server in Chromium: it connects, and an edit reaches it as a toast and a `hotreload:config` event. */
async function openInChromium(t: TestContext, browser: Browser, url: string, app: string): Promise<void> {
  const context = await browser.newContext()
  t.after(() => context.close())
  const page = await context.newPage()
  await page.goto(url)
  await waitFor(() => page.evaluate(() => document.documentElement.dataset['hotreloadState'] === 'open' && (document.documentElement.dataset['hotreloadSynced'] ?? '') !== ''), { timeoutMs: 20_000, message: 'the page to connect over the socket' })
  await page.evaluate(() => {
    const w = window as unknown as { __configs: unknown[] }
    w.__configs = []
    addEventListener('hotreload:config', (e) => w.__configs.push((e as CustomEvent<{ value: unknown }>).detail.value))
  })
  const original = await readFile(join(app, 'config/app.json'), 'utf8')
  t.after(() => writeFile(join(app, 'config/app.json'), original))
  // Saved as editors do (temp + rename), so the watcher never reads a half-written file.
  await writeFileAtomic(join(app, 'config/app.json'), '{ "port": 3000, "greeting": "Hello from the README test" }')
  const values = await waitFor(async () => {
    const got = await page.evaluate(() => (window as unknown as { __configs: unknown[] }).__configs)
    return got.length > 0 ? got : undefined
  }, { timeoutMs: 20_000, message: 'the config event in the page' })
  assert.deepEqual(values.at(-1), { port: 3000, greeting: 'Hello from the README test' })
  const toast = await waitFor(() => page.evaluate(() => document.querySelector('hotreload-ui')?.shadowRoot?.querySelector('.toast:not(.hidden):not(.error):not(.info)')?.textContent ?? ''), { timeoutMs: 20_000, message: 'the success toast' })
  assert.match(toast, /config\/app\.json applied in \d+ ms/)
}

