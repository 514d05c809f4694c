import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Type } from '@sinclair/typebox'
import type { Logger } from '@hotreload/core'
import { waitFor } from '../../../test/helpers/index.js'
import { ConfigClosedError, REDACTED, type ConfigChangedEvent } from '../src/index.js'
import { startConfigs } from './setup.js'

const App = Type.Object({
  server: Type.Object({ port: Type.Integer() }),
  db: Type.Object({
    host: Type.String(),
    password: Type.String(),
    pool: Type.Object({ max: Type.Integer(), min: Type.Integer() }),
  }),
})

const app = (port: number, max: number, host = 'db') =>
  `server:\n  port: ${port}\ndb:\n  host: ${host}\n  password: hunter2\n  pool:\n    max: ${max}\n    min: 1\n`

// Compile-time check: the argument must have exactly type T.
function expectType<T>(value: T): T {
  return value
}

test('get and watch are typed from the schema, and values are deep-frozen', async (t) => {
  const { configs } = await startConfigs(t, { 'config/app.yaml': app(8080, 10) }, { schemas: { app: App } })
  const port: number = configs.get('app').server.port
  const max = expectType<number>(configs.watch('app').current?.db.pool.max ?? 0)
  assert.equal(port, 8080)
  assert.equal(max, 10)
  const value = configs.get('app')
  assert.throws(() => {
    ;(value.db.pool as { max: number }).max = 99
  }, TypeError)
  assert.equal(configs.get('app').db.pool.max, 10)
  // A name only known at run time gets `unknown`, for the app to check.
  const name: string = 'app'
  expectType<unknown>(configs.get(name))
})

test('a stream has current, next() and subscribe() with a working unsubscribe', async (t) => {
  const { configs, project, recorder } = await startConfigs(t, { 'config/app.yaml': app(8080, 10) }, { schemas: { app: App } })
  const stream = configs.watch('app')
  assert.equal(stream.name, 'app')
  assert.equal(stream.current?.server.port, 8080)

  const seen: number[] = []
  const events: ConfigChangedEvent[] = []
  const off = stream.subscribe((value, event) => {
    seen.push(value?.server.port ?? -1)
    events.push(event)
  })
  const next = stream.next()
  await project.save('config/app.yaml', app(8081, 10))
  assert.equal((await next)?.server.port, 8081)
  await waitFor(() => seen.length === 1, { message: 'the subscriber' })
  assert.equal(events[0]?.type, 'config:changed')
  assert.equal(events[0]?.version, 2)
  assert.deepEqual(events[0]?.diff.map((d) => d.path), ['server.port'])

  off()
  off()
  const mark = recorder.events.length
  await project.save('config/app.yaml', app(8082, 10))
  await recorder.next('config:changed', () => true, mark)
  assert.deepEqual(seen, [8081])
  assert.equal(stream.current?.server.port, 8082)
})

test('for await yields the current value first, then the newest committed value, and ends on close', async (t) => {
  const { configs, project, recorder, reloader } = await startConfigs(t, { 'config/app.yaml': app(1, 10) }, { schemas: { app: App } })
  const ports: number[] = []
  const loop = (async () => {
    for await (const value of configs.watch('app')) {
      ports.push(value.server.port)
      if (ports.length === 1) {
        // Two commits while the loop body is busy: the loop then sees only the newest.
        for (const port of [2, 3]) {
          const mark = recorder.events.length
          await project.save('config/app.yaml', app(port, 10))
          await recorder.next('config:changed', () => true, mark)
        }
      }
    }
    return 'ended'
  })()
  await waitFor(() => ports.length === 2, { message: 'the second loop value' })
  assert.deepEqual(ports, [1, 3])

  const pending = configs.watch('app').next()
  await reloader.close()
  await reloader.close()
  assert.equal(await loop, 'ended')
  await assert.rejects(pending, (e: unknown) => e instanceof ConfigClosedError && e.code === 'HR_CONFIG_CLOSED')
  await assert.rejects(configs.watch('app').next(), ConfigClosedError)
  const after: number[] = []
  for await (const value of configs.watch('app')) after.push(value.server.port)
  assert.deepEqual(after, [])
})

test('breaking out of a for await loop unsubscribes it', async (t) => {
  const { configs, project, recorder } = await startConfigs(t, { 'config/app.yaml': app(1, 10) }, { schemas: { app: App } })
  for await (const value of configs.watch('app')) {
    assert.equal(value.server.port, 1)
    break
  }
  const stream = configs.watch('app')
  const iterator = stream[Symbol.asyncIterator]()
  assert.equal((await iterator.next()).value?.server.port, 1)
  await iterator.return?.()
  assert.deepEqual(await iterator.next(), { done: true, value: undefined })
  await project.save('config/app.yaml', app(2, 10))
  await recorder.next('config:changed')
  assert.deepEqual(await iterator.next(), { done: true, value: undefined })
})

test('select() fires only when a matching key path changes, at it, below it or above it', async (t) => {
  const { configs, project, recorder } = await startConfigs(t, { 'config/app.yaml': app(1, 10) })
  const pool: unknown[] = []
  const port: unknown[] = []
  const offPool = configs.watch('app').select('db.pool.*').subscribe((v) => pool.push(v))
  const offPort = configs.watch('app').select(['server.port', 'nothing.here']).subscribe((v) => port.push(v))
  t.after(() => {
    offPool()
    offPort()
  })
  const step = async (text: string) => {
    const mark = recorder.events.length
    await project.save('config/app.yaml', text)
    await recorder.next('config:changed', () => true, mark)
  }
  await step(app(1, 10, 'other-host'))
  assert.deepEqual([pool.length, port.length], [0, 0], 'db.host is neither')
  await step(app(1, 20, 'other-host'))
  assert.deepEqual([pool.length, port.length], [1, 0])
  await step(app(2, 20, 'other-host'))
  assert.deepEqual([pool.length, port.length], [1, 1])
  await step('server:\n  port: 2\ndb: none\n')
  assert.deepEqual([pool.length, port.length], [2, 1], 'db replaced by a string removes db.pool.*')

  // Narrowing again keeps both selections.
  const both: unknown[] = []
  const off = configs.watch('app').select('server.**').select('server.port').subscribe((v) => both.push(v))
  t.after(off)
  await step('server:\n  port: 3\n  host: x\ndb: none\n')
  assert.equal(both.length, 1)
  await step('server:\n  port: 3\n  host: y\ndb: none\n')
  assert.equal(both.length, 1)
})

test('a throwing subscriber is logged and does not stop the others', async (t) => {
  const errors: string[] = []
  const logger: Logger = { debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) }
  const { configs, project, recorder } = await startConfigs(t, { 'config/app.json': '{ "v": 1 }' }, {}, { logger })
  const seen: unknown[] = []
  const offA = configs.watch('app').subscribe(() => {
    throw new Error('subscriber bug')
  })
  const offB = configs.watch('app').subscribe((v) => seen.push(v))
  t.after(() => {
    offA()
    offB()
  })
  await project.save('config/app.json', '{ "v": 2 }')
  await recorder.next('config:changed')
  await waitFor(() => seen.length === 1, { message: 'the second subscriber' })
  assert.equal(errors.length, 1)
  assert.match(errors[0] ?? '', /a subscriber of config "app" threw: Error: subscriber bug/)
})

test('events keep real values for the app; redactEvent and the change log mask secrets', async (t) => {
  const info: string[] = []
  const logger: Logger = { debug() {}, info: (m) => info.push(m), warn() {}, error() {} }
  const { configs, project, recorder } = await startConfigs(t, { 'config/app.yaml': app(1, 10) }, { schemas: { app: App } }, { logger })
  await project.save('config/app.yaml', app(1, 10).replace('hunter2', 'correct horse'))
  const event = await recorder.next('config:changed')
  assert.equal((event.newValue as { db: { password: string } }).db.password, 'correct horse')

  const shown = configs.redactEvent(event)
  assert.ok(shown.type === 'config:changed')
  assert.equal((shown.newValue as { db: { password: string } }).db.password, REDACTED)
  assert.equal((shown.oldValue as { db: { password: string } }).db.password, REDACTED)
  assert.deepEqual(shown.diff, [{ kind: 'changed', path: 'db.password', keys: ['db', 'password'], oldValue: REDACTED, newValue: REDACTED }])
  assert.ok(!JSON.stringify(shown).includes('hunter2') && !JSON.stringify(shown).includes('correct horse'))
  // The app's event is unchanged, and other events pass through as they are.
  assert.equal((event.newValue as { db: { password: string } }).db.password, 'correct horse')
  const applied = await recorder.next('applied')
  assert.equal(configs.redactEvent(applied), applied)

  await waitFor(() => info.some((m) => m.startsWith('config "app" changed')), { message: 'the change log line' })
  const line = info.find((m) => m.startsWith('config "app" changed')) ?? ''
  assert.equal(line, 'config "app" changed: ~ db.password: "[redacted]" -> "[redacted]"')
})
