// The socket and the HTTP endpoints from outside a browser: who is refused, what each answers.
import assert from 'node:assert/strict'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { Type } from '@sinclair/typebox'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { WebSocket } from 'ws'
import { createHotReload, OptionsError, type HotReload, type Plugin } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import { makeTempProject, waitFor, type TempProject } from '../../../test/helpers/index.js'
import { BrowserOptionsError, browser, inject, type BrowserPlugin, type BrowserPluginOptions, type HelloMessage } from '../src/index.js'

interface Started {
  readonly project: TempProject
  readonly reloader: HotReload
  readonly hot: BrowserPlugin
  readonly port: number
  readonly origin: string
  /** Makes the next apply throw (a plugin failing mid-apply, rolled back). */
  failNextApply(): void
  /** Makes the next prepare abort (an outside vote said no). */
  abortNextPrepare(): void
  /** Makes the next commit tap throw (an `error` event; the transaction still commits). */
  failNextCommit(): void
}

const SITE = '{ "title": "Site", "db": { "password": "hunter2-secret", "pool": 4 } }\n'

async function start(t: TestContext, options: BrowserPluginOptions = {}): Promise<Started> {
  const project = await makeTempProject({ 'config/site.json': SITE }, 'hotreload-browser-ep-')
  const configs = config({ env: '', schemas: { site: Type.Object({ title: Type.String({ minLength: 1 }), db: Type.Object({ password: Type.String(), pool: Type.Integer() }) }) } })
  const fail = { apply: false, prepare: false, commit: false }
  const failing: Plugin = {
    name: 'failing',
    apply(kernel) {
      kernel.hooks.prepare.tap('failing', (tx) => {
        if (!fail.prepare) return
        fail.prepare = false
        tx.abort({ code: 'HR_TEST_VOTE', message: 'the other instances voted no' })
      })
      kernel.hooks.apply.tap('failing', () => {
        if (!fail.apply) return
        fail.apply = false
        throw new Error('the failing plugin failed on purpose')
      })
      kernel.hooks.commit.tap('failing', () => {
        if (!fail.commit) return
        fail.commit = false
        throw new Error('the failing plugin failed in commit')
      })
    },
  }
  const hot = browser({ redactWith: [configs], ...options })
  const reloader = await createHotReload({ root: project.root, watch: false, plugins: [configs, failing, hot] })
  const server = createServer((req, res) => hot.handler(req, res))
  hot.attach(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  // The instance first: closing it closes the sockets, which would hold server.close() up.
  t.after(async () => {
    await reloader.close()
    await closeServer(server)
    await project.cleanup()
  })
  const port = (server.address() as AddressInfo).port
  return {
    project,
    reloader,
    hot,
    port,
    origin: `http://127.0.0.1:${port}`,
    failNextApply: () => (fail.apply = true),
    abortNextPrepare: () => (fail.prepare = true),
    failNextCommit: () => (fail.commit = true),
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** An HTTP request with any headers (fetch refuses to set Host). */
function call(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function tokenOf(s: Started): Promise<string> {
  const res = await call(s.port, 'GET', '/__hotreload/token')
  assert.equal(res.status, 200)
  return (JSON.parse(res.body) as { token: string }).token
}

/** Opens the socket; resolves with the first message, or with the refusal's HTTP status. */
function openSocket(port: number, options: { token?: string; origin?: string; host?: string; protocol?: string; autoPong?: boolean }): Promise<{ ws: WebSocket; hello: HelloMessage } | { status: number }> {
  return new Promise((resolve, reject) => {
    const query = options.token === undefined ? '' : `?token=${encodeURIComponent(options.token)}`
    const ws = new WebSocket(`ws://127.0.0.1:${port}/__hotreload/socket${query}`, options.protocol ?? 'hotreload-v1', {
      headers: { ...(options.host ? { host: options.host } : {}) },
      ...(options.origin ? { origin: options.origin } : {}),
      autoPong: options.autoPong ?? true,
    })
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 })
      res.resume()
      ws.terminate()
    })
    ws.once('message', (data) => resolve({ ws, hello: JSON.parse(String(data)) as HelloMessage }))
    ws.once('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error)
    })
  })
}

test('the socket greets a page with hello: protocol, run id, version, last result, assets and redacted configs', async (t) => {
  const s = await start(t)
  const opened = await openSocket(s.port, { token: await tokenOf(s), origin: s.origin })
  assert.ok('hello' in opened)
  t.after(() => opened.ws.terminate())
  const { hello } = opened
  assert.equal(hello.type, 'hello')
  assert.equal(hello.protocol, 'hotreload-v1')
  assert.equal(opened.ws.protocol, 'hotreload-v1')
  assert.match(hello.runId, /^[0-9a-f-]{36}$/)
  assert.equal(hello.version, 1)
  assert.equal(hello.last?.status, 'applied')
  assert.deepEqual(hello.configs, [{ plugin: 'config', name: 'site', value: { title: 'Site', db: { password: '[redacted]', pool: 4 } } }])
  assert.ok(!JSON.stringify(hello).includes('hunter2'))
  assert.ok(!JSON.stringify(hello).includes(s.project.root))
  await waitFor(() => s.hot.clients() === 1, { message: 'one client' })
})

test('no token, a stale token, a foreign Origin, a missing Origin and a bad Host each get 403 before the upgrade', async (t) => {
  const s = await start(t)
  const token = await tokenOf(s)
  assert.deepEqual(await openSocket(s.port, { origin: s.origin }), { status: 403 })
  assert.deepEqual(await openSocket(s.port, { token: `${token}x`, origin: s.origin }), { status: 403 })
  assert.deepEqual(await openSocket(s.port, { token, origin: 'http://evil.example' }), { status: 403 })
  assert.deepEqual(await openSocket(s.port, { token }), { status: 403 })
  assert.deepEqual(await openSocket(s.port, { token, origin: 'http://rebind.example', host: 'rebind.example' }), { status: 403 })
  assert.deepEqual(await openSocket(s.port, { token, origin: s.origin, protocol: 'other' }), { status: 400 })
  assert.equal(s.hot.clients(), 0)

  // The same rules for the HTTP side.
  assert.equal((await call(s.port, 'POST', '/__hotreload/reload', { origin: s.origin })).status, 403)
  assert.equal((await call(s.port, 'POST', '/__hotreload/reload', { origin: 'http://evil.example', 'x-hotreload-token': token })).status, 403)
  const rebound = await call(s.port, 'POST', '/__hotreload/reload', { host: 'rebind.example', origin: 'http://rebind.example', 'x-hotreload-token': token })
  assert.equal(rebound.status, 403)
  assert.match(rebound.body, /the host "rebind\.example" is not allowed; add it to browser\(\{ allowedHosts/)
  assert.equal((await call(s.port, 'GET', '/__hotreload/token', { origin: 'http://evil.example' })).status, 403)
  assert.equal((await call(s.port, 'GET', '/__hotreload/token', { 'sec-fetch-site': 'cross-site' })).status, 403)
  assert.equal((await call(s.port, 'GET', '/__hotreload/status', { host: 'rebind.example' })).status, 403)
})

test('allowedOrigins and allowedHosts let a named origin and host in', async (t) => {
  const s = await start(t, { allowedOrigins: ['http://app.example.test:8080'], allowedHosts: ['dev.example.test'] })
  const token = await tokenOf(s)
  const opened = await openSocket(s.port, { token, origin: 'http://app.example.test:8080' })
  assert.ok('hello' in opened)
  opened.ws.terminate()
  const viaHost = await openSocket(s.port, { token, origin: 'http://dev.example.test', host: 'dev.example.test' })
  assert.ok('hello' in viaHost)
  viaHost.ws.terminate()
})

test('POST /reload answers unchanged, forced, rejected (422), rolled back (500) and aborted (409); GET /reload answers 405', async (t) => {
  const s = await start(t)
  const token = await tokenOf(s)
  const post = (query = '') => call(s.port, 'POST', `/__hotreload/reload${query}`, { origin: s.origin, 'x-hotreload-token': token })

  const unchanged = await post()
  assert.equal(unchanged.status, 200)
  assert.equal(JSON.parse(unchanged.body).status, 'unchanged')

  const forced = await post('?force=1')
  assert.equal(forced.status, 200)
  assert.deepEqual([JSON.parse(forced.body).status, JSON.parse(forced.body).version], ['applied', 2])

  await s.project.save('config/site.json', '{ "title": "", "db": { "password": "x", "pool": 4 } }\n')
  const rejected = await post()
  assert.equal(rejected.status, 422)
  const body = JSON.parse(rejected.body)
  assert.equal(body.status, 'rejected')
  assert.equal(body.problems[0].file, 'config/site.json')
  assert.equal(body.problems[0].keyPath, 'title')
  assert.ok(!rejected.body.includes(s.project.root))

  await s.project.save('config/site.json', SITE.replace('Site', 'Fixed'))
  s.failNextApply()
  const rolledBack = await post()
  assert.equal(rolledBack.status, 500)
  assert.equal(JSON.parse(rolledBack.body).status, 'rolled-back')
  assert.match(JSON.parse(rolledBack.body).error.message, /failed on purpose/)

  s.abortNextPrepare()
  const aborted = await post('?force=1')
  assert.equal(aborted.status, 409)
  assert.deepEqual([JSON.parse(aborted.body).status, JSON.parse(aborted.body).abort.code], ['aborted', 'HR_TEST_VOTE'])

  // Without an Origin (curl, a script) the token alone is enough.
  const scripted = await call(s.port, 'POST', '/__hotreload/reload', { 'x-hotreload-token': token })
  assert.equal(scripted.status, 200)

  const get = await call(s.port, 'GET', '/__hotreload/reload')
  assert.equal(get.status, 405)
  assert.equal(get.headers['allow'], 'POST')
})

test('a page hears one message per applied change, rejection, abort, rollback and error, values redacted', async (t) => {
  const s = await start(t)
  const opened = await openSocket(s.port, { token: await tokenOf(s), origin: s.origin })
  assert.ok('hello' in opened)
  t.after(() => opened.ws.terminate())
  const messages: { type: string; [key: string]: unknown }[] = []
  opened.ws.on('message', (data) => messages.push(JSON.parse(String(data))))
  await s.project.save('config/site.json', SITE.replace('"pool": 4', '"pool": 8').replace('hunter2-secret', 'hunter3-secret'))
  await s.reloader.reload()
  s.abortNextPrepare()
  await s.reloader.reload({ force: true })
  s.failNextApply()
  await s.reloader.reload({ force: true })
  s.failNextCommit()
  await s.reloader.reload({ force: true })
  await s.project.save('config/site.json', '{ "title": 1 }\n')
  await s.reloader.reload()
  const seen = () => messages.filter((m) => m.type !== 'heartbeat')
  const kinds = ['applied', 'aborted', 'rolled-back', 'applied', 'error', 'rejected']
  await waitFor(() => seen().length >= kinds.length, { message: `${kinds.length} messages (got ${seen().map((m) => m.type).join(', ')})` })
  // The commit tap's error is reported while the transaction commits: it may come before its applied.
  assert.deepEqual(seen().map((m) => m.type).sort(), [...kinds].sort())
  const applied = seen()[0]
  const rejected = seen().at(-1)
  assert.equal(applied?.type, 'applied')
  assert.equal(applied?.version, 2)
  assert.deepEqual((applied?.events as { type: string; value: unknown }[]).map((e) => [e.type, e.value]), [['config:changed', { title: 'Site', db: { password: '[redacted]', pool: 8 } }]])
  assert.ok(!JSON.stringify(applied).includes('hunter'))
  assert.equal(rejected?.type, 'rejected')
  assert.equal(rejected?.version, 3)
  assert.ok((rejected?.problems as unknown[]).length > 0)
  const byType = (type: string) => seen().find((m) => m.type === type) as { [key: string]: unknown } | undefined
  assert.equal((byType('aborted')?.abort as { code: string }).code, 'HR_TEST_VOTE')
  assert.match((byType('rolled-back')?.error as { message: string }).message, /failed on purpose/)
  assert.match((byType('error')?.error as { message: string }).message, /failed in commit/)
  for (const m of seen()) assert.equal(m.runId, opened.hello.runId)
})

test('a client that misses heartbeats is dropped', async (t) => {
  const s = await start(t, { heartbeatMs: 100 })
  const opened = await openSocket(s.port, { token: await tokenOf(s), origin: s.origin, autoPong: false })
  assert.ok('hello' in opened)
  t.after(() => opened.ws.terminate())
  const closed = new Promise<number>((resolve) => opened.ws.once('close', (code) => resolve(code)))
  await waitFor(() => s.hot.clients() === 0, { message: 'the silent client to be dropped' })
  assert.equal(await closed, 1006)
})

test('GET /status reports version, run id, last transaction, counters, plugins and clients, without the root', async (t) => {
  const s = await start(t)
  const opened = await openSocket(s.port, { token: await tokenOf(s), origin: s.origin })
  assert.ok('hello' in opened)
  t.after(() => opened.ws.terminate())
  await waitFor(() => s.hot.clients() === 1, { message: 'one client' })
  const res = await call(s.port, 'GET', '/__hotreload/status')
  assert.equal(res.status, 200)
  const status = JSON.parse(res.body)
  assert.equal(status.version, 1)
  assert.equal(status.runId, opened.hello.runId)
  assert.equal(status.last.status, 'applied')
  assert.equal(status.counters.applied, 1)
  assert.ok(status.plugins.includes('config'))
  assert.equal(status.clients, 1)
  assert.ok(!res.body.includes(s.project.root))
})

test('GET /metrics serves the instance\'s Prometheus metrics, which a real text parser reads', async (t) => {
  const s = await start(t)
  const res = await call(s.port, 'GET', '/__hotreload/metrics')
  assert.equal(res.status, 200)
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/)
  const families = parsePrometheusTextFormat(res.body) as unknown as { name: string; metrics: { value?: string; labels?: Record<string, string> }[] }[]
  const transactions = families.find((f) => f.name === 'hotreload_transactions_total')
  assert.ok(transactions, `families: ${families.map((f) => f.name).join(', ')}`)
  assert.ok(transactions.metrics.some((m) => m.labels?.['status'] === 'applied' && Number(m.value) >= 1))
  assert.equal((await call(s.port, 'POST', '/__hotreload/metrics')).status, 405)
})

test('the handler passes other requests to next (express / connect), answers 404 without next, and serves the client', async (t) => {
  const s = await start(t)
  const seen: string[] = []
  const server = createServer((req, res) =>
    s.hot.handler(req, res, () => {
      seen.push(req.url ?? '')
      res.writeHead(200).end('app')
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  t.after(() => closeServer(server))
  const port = (server.address() as AddressInfo).port
  assert.equal((await call(port, 'GET', '/page')).body, 'app')
  assert.deepEqual(seen, ['/page'])
  const client = await call(port, 'GET', '/__hotreload/client.js')
  assert.equal(client.status, 200)
  assert.match(String(client.headers['content-type']), /text\/javascript/)
  assert.match(client.body, /import \{ connect \} from '\.\/connect\.js'/)
  assert.equal((await call(port, 'GET', '/__hotreload/connect.js')).status, 200)
  assert.equal((await call(port, 'GET', '/__hotreload/package.json')).status, 404)
  assert.equal((await call(port, 'GET', '/__hotreload/client/../../package.json')).body, 'app', 'a path that leaves the prefix is the app\'s')
  assert.equal((await call(s.port, 'GET', '/elsewhere')).status, 404)
})

test('listen starts a standalone server on 127.0.0.1 by default, closed with the instance', async (t) => {
  const project = await makeTempProject({}, 'hotreload-browser-listen-')
  t.after(() => project.cleanup())
  const hot = browser({ listen: { port: 0 } })
  const reloader = await createHotReload({ root: project.root, watch: false, plugins: [hot] })
  const address = hot.address()
  assert.equal(address?.address, '127.0.0.1')
  const res = await call(address?.port ?? 0, 'GET', '/__hotreload/status')
  assert.equal(res.status, 200)
  await reloader.close()
  await reloader.close()
  await hot.close()
  await assert.rejects(call(address?.port ?? 0, 'GET', '/__hotreload/status'), /ECONNREFUSED/)
})

test('bad options are refused at once with the option and the fix', () => {
  assert.throws(() => browser({ prefix: 'hot/' }), (e: unknown) => e instanceof BrowserOptionsError && e.code === 'HR_BROWSER_OPTIONS' && /prefix/.test(e.message) && e.hint !== undefined)
  assert.throws(() => browser({ prefx: '/hr' } as never), (e: unknown) => e instanceof OptionsError && /unknown option "prefx" \(did you mean "prefix"\?\)/.test(e.message))
  assert.throws(() => browser({ heartbeatMs: 'often' } as never), (e: unknown) => e instanceof OptionsError && /heartbeatMs/.test(e.message))
  assert.throws(() => browser({ allowedOrigins: ['not a url'] }), /allowedOrigins/)
  assert.throws(() => browser({ reconnectMinMs: 500, reconnectMaxMs: 100 }), /reconnectMaxMs/)
})

test('inject() puts the client tag before </head>, else </body>, else at the end', () => {
  assert.equal(inject('<html><head><title>x</title></head><body></body></html>'), '<html><head><title>x</title><script type="module" src="/__hotreload/client.js" data-hotreload-prefix="/__hotreload"></script></head><body></body></html>')
  assert.match(inject('<body>x</body>', { templates: ['index'] }), /^<body>x<script [^>]*data-hotreload-templates="index"><\/script><\/body>$/)
  assert.match(inject('plain', { prefix: '/hr' }), /^plain<script type="module" src="\/hr\/client\.js"/)
})
