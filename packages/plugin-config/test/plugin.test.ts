import assert from 'node:assert/strict'
import { rename } from 'node:fs/promises'
import { test } from 'node:test'
import { Type } from '@sinclair/typebox'
import { OptionsError, createHotReload, writeFileAtomic, type Plugin } from '@hotreload/core'
import configDefault, { configPlugin, ConfigNotLoadedError, ConfigOptionsError, type ConfigChangedEvent } from '../src/index.js'
import { problemTuples, startConfigs } from './setup.js'

const App = Type.Object({
  server: Type.Object({ host: Type.String(), port: Type.Integer({ minimum: 1, maximum: 65535 }) }),
  db: Type.Object({ pool: Type.Object({ max: Type.Integer({ minimum: 1 }), min: Type.Integer({ default: 0 }) }), password: Type.Optional(Type.String()) }),
  features: Type.Optional(Type.Record(Type.String(), Type.Boolean())),
})

const APP = {
  json: '{\n  "server": { "host": "localhost", "port": 8080 },\n  "db": { "pool": { "max": 10 } }\n}\n',
  yaml: 'server:\n  host: localhost\n  port: 8080\ndb:\n  pool:\n    max: 10\n',
  toml: '[server]\nhost = "localhost"\nport = 8080\n\n[db.pool]\nmax = 10\n',
} as const

// A port out of range, written at a known position in each format.
const BAD_PORT = {
  json: { text: '{\n  "server": { "host": "localhost", "port": 99999 },\n  "db": { "pool": { "max": 10 } }\n}\n', at: [2, 44] },
  yaml: { text: 'server:\n  host: localhost\n  port: 99999\ndb:\n  pool:\n    max: 10\n', at: [3, 9] },
  toml: { text: '[server]\nhost = "localhost"\nport = 99999\n\n[db.pool]\nmax = 10\n', at: [3, 8] },
} as const

const GOOD_PORT = {
  json: APP.json.replace('8080', '9090'),
  yaml: APP.yaml.replace('8080', '9090'),
  toml: APP.toml.replace('8080', '9090'),
} as const

const PARSE_ERROR = {
  json: { text: '{\n  "server": { "host": "localhost", "port": 8080 },\n  "db": { "pool": { "max": } }\n}\n', at: [3, 28] },
  yaml: { text: 'server:\n  host: localhost\n  port: [8080\ndb: {}\n', at: [4, 1] },
  toml: { text: '[server]\nhost = "localhost"\nport = \n', at: [3, 8] },
} as const

for (const format of ['json', 'yaml', 'toml'] as const) {
  test(`${format}: loads at start, applies a valid edit with a diff, rejects a schema violation at its line:column and keeps the last good value`, async (t) => {
    const file = `config/app.${format}`
    const { configs, project, recorder, events } = await startConfigs(t, { [file]: APP[format] }, { schemas: { app: App } })
    const initial = events.find((e): e is ConfigChangedEvent => e.type === 'config:changed')
    assert.ok(initial, 'the initial load announces the config')
    assert.equal(initial.oldValue, undefined)
    assert.deepEqual(configs.get('app'), { server: { host: 'localhost', port: 8080 }, db: { pool: { max: 10, min: 0 } } })
    const before = configs.get('app')

    await project.save(file, BAD_PORT[format].text)
    const rejected = await recorder.next('rejected')
    assert.deepEqual(problemTuples(rejected), [['HR_CONFIG_SCHEMA', file, ...BAD_PORT[format].at, 'server.port']])
    assert.match(rejected.problems[0]?.message ?? '', /server\.port must be <= 65535/)
    assert.equal(rejected.problems[0]?.plugin, 'config')
    assert.equal(configs.get('app'), before, 'the last good value stays, same object')

    const mark = recorder.events.length
    await project.save(file, GOOD_PORT[format])
    const changed = await recorder.next('config:changed', () => true, mark)
    assert.equal(changed.name, 'app')
    assert.deepEqual(changed.paths, [file])
    assert.deepEqual(
      changed.diff.map((d) => [d.kind, d.path, d.oldValue, d.newValue]),
      [['changed', 'server.port', 8080, 9090]],
    )
    assert.equal(changed.oldValue, before)
    assert.equal(configs.get('app').server.port, 9090)
    assert.ok(Object.isFrozen(configs.get('app').server))
  })

  test(`${format}: a syntax error is rejected with the parser's line:column`, async (t) => {
    const file = `config/app.${format}`
    const { configs, project, recorder } = await startConfigs(t, { [file]: APP[format] }, { schemas: { app: App } })
    await project.save(file, PARSE_ERROR[format].text)
    const rejected = await recorder.next('rejected')
    const [problem] = rejected.problems
    assert.equal(problem?.code, 'HR_CONFIG_PARSE')
    assert.equal(problem?.path, file)
    assert.deepEqual([problem?.line, problem?.column], PARSE_ERROR[format].at)
    assert.ok(problem?.hint)
    assert.equal(configs.get('app').server.port, 8080)
  })
}

const UNSAFE: [string, string, string, string][] = [
  ['an unsafe __proto__ key', 'config/app.yaml', 'a: 1\n__proto__:\n  polluted: true\n', 'HR_CONFIG_UNSAFE_KEY'],
  ['a prototype key in a TOML table', 'config/app.toml', 'a = 1\n[prototype]\npolluted = true\n', 'HR_CONFIG_UNSAFE_KEY'],
  ['a constructor key', 'config/app.json', '{ "a": 1, "constructor": { "polluted": true } }', 'HR_CONFIG_UNSAFE_KEY'],
  ['a duplicate JSON key', 'config/app.json', '{ "a": 1, "a": 2 }', 'HR_CONFIG_DUPLICATE_KEY'],
  ['a duplicate TOML key', 'config/app.toml', 'a = 1\na = 2\n', 'HR_CONFIG_DUPLICATE_KEY'],
  ['a duplicate YAML key', 'config/app.yaml', 'a: 1\na: 2\n', 'HR_CONFIG_DUPLICATE_KEY'],
  [
    'a YAML alias bomb',
    'config/app.yaml',
    'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n',
    'HR_CONFIG_ALIASES',
  ],
  ['a file over maxFileBytes', 'config/app.yaml', `a: "${'x'.repeat(5000)}"\n`, 'HR_CONFIG_TOO_LARGE'],
]

for (const [what, file, text, code] of UNSAFE) {
  test(`${what} is rejected through the watcher and the last good value stays`, async (t) => {
    const start = file.endsWith('.toml') ? 'a = 1\n' : file.endsWith('.json') ? '{ "a": 1 }' : 'a: 1\n'
    const { configs, project, recorder } = await startConfigs(t, { [file]: start }, { maxFileBytes: 4096 })
    await project.save(file, text)
    const rejected = await recorder.next('rejected')
    assert.deepEqual(
      rejected.problems.map((p) => [p.code, p.path]),
      [[code, file]],
    )
    assert.ok(rejected.problems[0]?.hint)
    assert.deepEqual(configs.get('app'), { a: 1 })
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined)
  })
}

test('a config with a schema cannot be deleted: the deletion is rejected and the last good value stays', async (t) => {
  const { configs, project, recorder } = await startConfigs(t, { 'config/app.yaml': APP.yaml }, { schemas: { app: App } })
  await project.remove('config/app.yaml')
  const rejected = await recorder.next('rejected')
  assert.deepEqual(problemTuples(rejected), [['HR_CONFIG_REQUIRED_DELETED', 'config/app.yaml', undefined, undefined, undefined]])
  assert.match(rejected.problems[0]?.message ?? '', /config "app" is required and cannot be deleted; its last good value stays/)
  assert.equal(configs.get('app').server.port, 8080)

  // Written back with other content, the file applies again.
  const mark = recorder.events.length
  await project.save('config/app.yaml', GOOD_PORT.yaml)
  await recorder.next('config:changed', () => true, mark)
  assert.equal(configs.get('app').server.port, 9090)
})

const FLAGS = { toml: 'beta = true\n', yaml: 'beta: true\n', json: '{ "beta": true }' } as const

for (const format of ['toml', 'yaml', 'json'] as const) {
  test(`${format}: an optional config deleted from disk is removed and subscribers are told with undefined`, async (t) => {
    const file = `config/flags.${format}`
    const { configs, project, recorder } = await startConfigs(t, { 'config/app.yaml': 'a: 1\n', [file]: FLAGS[format] })
    const seen: unknown[] = []
    const off = configs.watch('flags').subscribe((value) => seen.push(value))
    t.after(off)
    await project.remove(file)
    const removed = await recorder.next('config:changed', (e) => e.name === 'flags')
    assert.equal(removed.newValue, undefined)
    assert.deepEqual(removed.oldValue, { beta: true })
    assert.deepEqual(removed.paths, [file])
    assert.deepEqual(
      removed.diff.map((d) => [d.kind, d.path, d.oldValue]),
      [['removed', 'beta', true]],
    )
    assert.deepEqual(seen, [undefined])
    assert.equal(configs.has('flags'), false)
    assert.deepEqual(configs.names(), ['app'])
    assert.throws(() => configs.get('flags'), (e: unknown) => e instanceof ConfigNotLoadedError && e.code === 'HR_CONFIG_NOT_LOADED' && /Loaded configs: app/.test(e.hint ?? ''))
  })
}

test('a required config missing at start rejects the initial load; creating it applies', async (t) => {
  const { configs, project, recorder, events } = await startConfigs(t, { 'config/other.json': '{}' }, { schemas: { app: App } })
  const initial = events.find((e) => e.type === 'rejected')
  assert.ok(initial && initial.type === 'rejected')
  assert.equal(initial.reason, 'initial')
  assert.equal(initial.problems[0]?.code, 'HR_CONFIG_MISSING')
  assert.match(initial.problems[0]?.message ?? '', /config "app" is required but no file defines it/)
  assert.equal(configs.has('app'), false)

  // Until it exists, other config edits cannot apply either: the app has no value to run with.
  await project.save('config/other.json', '{ "x": 1 }')
  const still = await recorder.next('rejected')
  assert.deepEqual(still.problems.map((p) => p.code), ['HR_CONFIG_MISSING'])
  assert.equal(configs.has('other'), false)

  const mark = recorder.events.length
  await project.save('config/app.toml', APP.toml)
  await recorder.next('config:changed', (e) => e.name === 'app', mark)
  assert.equal(configs.get('app').db.pool.max, 10)
  assert.deepEqual(configs.get('other'), { x: 1 })
})

test('the overlay of the active environment is deep-merged over the base; problems in it point at the overlay', async (t) => {
  const files = {
    'config/database.yaml': 'host: localhost\nport: 5432\nreplicas:\n  - a\n  - b\npool:\n  max: 5\n  idle: 1000\n',
    'config/database.production.toml': 'host = "db.prod"\nreplicas = ["c"]\n[pool]\nmax = 50\n',
    'config/database.staging.json': '{ "host": "db.staging" }',
  }
  const Db = Type.Object({ host: Type.String(), port: Type.Integer(), replicas: Type.Array(Type.String()), pool: Type.Object({ max: Type.Integer({ maximum: 100 }), idle: Type.Integer() }) })
  const { configs, project, recorder } = await startConfigs(t, files, { env: 'production', schemas: { database: Db } })
  assert.deepEqual(configs.get('database'), { host: 'db.prod', port: 5432, replicas: ['c'], pool: { max: 50, idle: 1000 } })
  assert.deepEqual(configs.names(), ['database'])

  await project.save('config/database.production.toml', 'host = "db.prod"\nreplicas = ["c"]\n[pool]\nmax = 500\n')
  const rejected = await recorder.next('rejected')
  assert.deepEqual(problemTuples(rejected), [['HR_CONFIG_SCHEMA', 'config/database.production.toml', 4, 7, 'pool.max']])

  // Removing the overlay falls back to the base values.
  let mark = recorder.events.length
  await project.remove('config/database.production.toml')
  const changed = await recorder.next('config:changed', () => true, mark)
  assert.deepEqual(changed.paths, ['config/database.production.toml'])
  assert.deepEqual(configs.get('database'), { host: 'localhost', port: 5432, replicas: ['a', 'b'], pool: { max: 5, idle: 1000 } })

  // Another environment's overlay is parsed (and would be rejected if broken) but not applied.
  mark = recorder.events.length
  await project.save('config/database.staging.json', '{ "host": ')
  const broken = await recorder.next('rejected', () => true, mark)
  assert.equal(broken.problems[0]?.path, 'config/database.staging.json')
  assert.equal(configs.get('database').host, 'localhost')
})

// host/port/dir per format; the position is that of the new `port` value.
const SERVER = {
  yaml: { text: (host: string, port: number, dir: string) => `server:\n  host: ${host}\n  port: ${port}\nstorage:\n  dir: ${dir}\n  quota: 10\n`, port: [3, 9] },
  json: { text: (host: string, port: number, dir: string) => `{\n  "server": {\n    "host": "${host}",\n    "port": ${port}\n  },\n  "storage": { "dir": "${dir}", "quota": 10 }\n}\n`, port: [4, 13] },
  toml: { text: (host: string, port: number, dir: string) => `[server]\nhost = "${host}"\nport = ${port}\n\n[storage]\ndir = "${dir}"\nquota = 10\n`, port: [3, 8] },
} as const

for (const format of ['yaml', 'json', 'toml'] as const) {
  test(`${format}: a change to a restartRequired key is rejected with "restart needed" and the unsafe keys; other edits apply`, async (t) => {
    const file = `config/app.${format}`
    const { text, port } = SERVER[format]
    const { configs, project, recorder } = await startConfigs(t, { [file]: text('localhost', 8080, '/data') }, { restartRequired: { app: ['server.port', 'storage.*'] } })
    await project.save(file, text('example.com', 9090, '/mnt'))
    const rejected = await recorder.next('rejected')
    const [problem] = rejected.problems
    assert.equal(rejected.problems.length, 1)
    assert.equal(problem?.code, 'HR_CONFIG_RESTART_REQUIRED')
    assert.match(problem?.message ?? '', /^restart needed: config "app" changes server\.port, storage\.dir, which the app reads only at start/)
    assert.deepEqual([problem?.path, problem?.line, problem?.column, problem?.keyPath], [file, ...port, 'server.port'])
    assert.deepEqual(configs.get('app'), { server: { host: 'localhost', port: 8080 }, storage: { dir: '/data', quota: 10 } }, 'the rest of the edit waits too')

    const mark = recorder.events.length
    await project.save(file, text('example.com', 8080, '/data'))
    const changed = await recorder.next('config:changed', () => true, mark)
    assert.deepEqual(changed.diff.map((d) => d.path), ['server.host'])
  })
}

test('if a later plugin fails in the same transaction, config rolls back and no subscriber sees the new value', async (t) => {
  let armed = false
  const breaker: Plugin = {
    name: 'breaker',
    apply(kernel) {
      kernel.hooks.apply.tap('breaker', () => {
        if (armed) throw new Error('breaker failed on purpose')
      })
    },
  }
  const { configs, project, recorder } = await startConfigs(t, { 'config/app.json': '{ "v": 1 }' }, {}, { after: [breaker] })
  const seen: unknown[] = []
  const off = configs.watch('app').subscribe((value) => seen.push(value))
  t.after(off)
  const offEvents = recorder.events.length

  armed = true
  await project.save('config/app.json', '{ "v": 2 }')
  const rolledBack = await recorder.next('rolled-back')
  assert.equal(rolledBack.error.plugin, 'breaker')
  assert.deepEqual(configs.get('app'), { v: 1 })
  assert.deepEqual(configs.watch('app').current, { v: 1 })
  assert.deepEqual(seen, [])
  assert.equal(recorder.events.slice(offEvents).some((e) => e.type === 'config:changed'), false)

  armed = false
  const mark = recorder.events.length
  await project.save('config/app.json', '{ "v": 3 }')
  const changed = await recorder.next('config:changed', () => true, mark)
  assert.deepEqual(changed.oldValue, { v: 1 })
  assert.deepEqual(seen, [{ v: 3 }])
})

test('a config:changed listener reading get() already sees the value its event announces', async (t) => {
  const { configs, project, reloader, recorder } = await startConfigs(t, { 'config/app.json': '{ "v": 1 }' })
  const readBack: unknown[] = []
  const off = reloader.on('config:changed', (e) => readBack.push([e.newValue, configs.get(e.name), configs.watch(e.name).current]))
  t.after(off)
  await project.save('config/app.json', '{ "v": 2 }')
  await recorder.next('config:changed')
  assert.deepEqual(readBack, [[{ v: 2 }, { v: 2 }, { v: 2 }]])
})

test('an unknown extension in the watched set is a clear problem, not a silent skip', async (t) => {
  const { project, recorder, configs } = await startConfigs(t, { 'settings/app.json': '{ "a": 1 }' }, { files: 'settings/**' })
  assert.deepEqual(configs.get('app'), { a: 1 })
  await project.save('settings/notes.ini', 'a=1\n')
  const rejected = await recorder.next('rejected')
  assert.deepEqual(problemTuples(rejected), [['HR_CONFIG_FORMAT', 'settings/notes.ini', undefined, undefined, undefined]])
  assert.match(rejected.problems[0]?.message ?? '', /unknown config file type "notes.ini"/)
})

test('two files for the same config and environment are a conflict', async (t) => {
  const { events, configs } = await startConfigs(t, { 'config/app.json': '{ "a": 1 }', 'config/app.yaml': 'a: 2\n' })
  const rejected = events.find((e) => e.type === 'rejected')
  assert.ok(rejected && rejected.type === 'rejected')
  assert.equal(rejected.problems[0]?.code, 'HR_CONFIG_CONFLICT')
  assert.match(rejected.problems[0]?.message ?? '', /config\/app\.json and config\/app\.yaml both define config "app"/)
  assert.equal(configs.has('app'), false)
})

test('renaming a file moves its config to the new name', async (t) => {
  const { configs, project, recorder } = await startConfigs(t, { 'config/app.yaml': 'a: 1\n' })
  await rename(project.path('config/app.yaml'), project.path('config/main.yaml'))
  await recorder.next('config:changed', (e) => e.name === 'main')
  await recorder.next('config:changed', (e) => e.name === 'app')
  assert.deepEqual(configs.names(), ['main'])
  assert.deepEqual(configs.get('main'), { a: 1 })
})

test('the default export is the factory; bad options and reuse across instances fail clearly', async (t) => {
  assert.equal(configDefault, configPlugin)
  assert.throws(() => configPlugin({ schema: {} } as never), (e: unknown) => e instanceof OptionsError && /unknown option "schema" \(did you mean "schemas"\?\)/.test(e.message))
  assert.throws(() => configPlugin({ maxFileBytes: 0 }), /option "maxFileBytes" must be >= 1/)
  assert.throws(() => configPlugin({ restartRequired: { app: 'server.port' as never } }), /"restartRequired.app" must be a list/)
  assert.throws(() => configPlugin({ restartRequired: ['app.port'] as never }), (e: unknown) => e instanceof ConfigOptionsError && /must be an object of key patterns by config name, such as \{ app: \['port'\] \}; got a list/.test(e.message))
  const { configs, project } = await startConfigs(t, {})
  await assert.rejects(createHotReload({ root: project.root, watch: false, plugins: [configs] }), /plugin "config" is already applied to the instance rooted at/)
})

test('with stat polling (network drives, containers) edits apply and broken edits are rejected the same way', async (t) => {
  const { configs, project, recorder } = await startConfigs(t, { 'config/app.toml': APP.toml }, { schemas: { app: App } }, { usePolling: true })
  await project.save('config/app.toml', BAD_PORT.toml.text)
  const rejected = await recorder.next('rejected')
  assert.deepEqual(problemTuples(rejected), [['HR_CONFIG_SCHEMA', 'config/app.toml', ...BAD_PORT.toml.at, 'server.port']])
  const mark = recorder.events.length
  await project.save('config/app.toml', GOOD_PORT.toml)
  await recorder.next('config:changed', () => true, mark)
  assert.equal(configs.get('app').server.port, 9090)
})

test('env defaults to NODE_ENV, and an empty env turns overlays off', async (t) => {
  const files = { 'config/db.yaml': 'host: base\n', 'config/db.staging.yaml': 'host: staging\n' }
  const saved = process.env['NODE_ENV']
  process.env['NODE_ENV'] = 'staging'
  try {
    const fromNodeEnv = await startConfigs(t, files, { env: undefined })
    assert.deepEqual(fromNodeEnv.configs.get('db'), { host: 'staging' })
    const off = await startConfigs(t, files, { env: '' })
    assert.deepEqual(off.configs.get('db'), { host: 'base' })
  } finally {
    if (saved === undefined) delete process.env['NODE_ENV']
    else process.env['NODE_ENV'] = saved
  }
})

test('an atomic save (temp file renamed over) and an extension rename keep a required config alive', async (t) => {
  const { configs, project, recorder } = await startConfigs(t, { 'config/app.yaml': APP.yaml }, { schemas: { app: App } })
  await writeFileAtomic(project.path('config/app.yaml'), GOOD_PORT.yaml)
  const changed = await recorder.next('config:changed')
  assert.deepEqual(changed.diff.map((d) => d.path), ['server.port'])

  // app.yaml -> app.yml is the same config in the same format: it is never removed. The watcher
  // may report the add and the unlink in two batches (chokidar holds unlinks back ~100 ms to
  // recognise atomic saves); the first batch is then rejected as a conflict or a deletion,
  // and the second applies the rename.
  const mark = recorder.events.length
  await rename(project.path('config/app.yaml'), project.path('config/app.yml'))
  await recorder.next('applied', (e) => e.paths.includes('config/app.yml'), mark)
  const later = recorder.events.slice(mark)
  assert.equal(later.some((e) => e.type === 'config:changed'), false, later.map((e) => e.type).join(', '))
  assert.ok(later.every((e) => e.type !== 'rejected' || e.problems.every((p) => p.code === 'HR_CONFIG_REQUIRED_DELETED' || p.code === 'HR_CONFIG_CONFLICT')), JSON.stringify(later))
  assert.equal(configs.get('app').server.port, 9090)
})

test('a forced reload of unchanged files announces nothing and keeps each value identical (===)', async (t) => {
  const { configs, reloader, recorder } = await startConfigs(t, { 'config/app.json': '{ "a": { "b": 1 } }', 'config/db.toml': 'host = "x"\n' })
  const before = [configs.get('app'), configs.get('db')]
  const record = await reloader.reload({ force: true })
  assert.equal(record.status, 'applied')
  assert.deepEqual([...record.plugins], ['config'])
  assert.equal(recorder.events.some((e) => e.type === 'config:changed'), false)
  assert.equal(configs.get('app'), before[0])
  assert.equal(configs.get('db'), before[1])
})

test('a UTF-8 byte order mark and CRLF line ends (Windows editors) are read, and positions still match', async (t) => {
  const { configs, project, recorder } = await startConfigs(t, { 'config/app.json': '\uFEFF{\r\n  "server": { "host": "localhost", "port": 8080 },\r\n  "db": { "pool": { "max": 10 } }\r\n}\r\n' }, { schemas: { app: App } })
  assert.equal(configs.get('app').server.port, 8080)
  await project.save('config/app.json', '\uFEFF{\r\n  "server": { "host": "localhost", "port": 8080 },\r\n  "db": { "pool": { "max": 0 } }\r\n}\r\n')
  const rejected = await recorder.next('rejected')
  assert.deepEqual(problemTuples(rejected), [['HR_CONFIG_SCHEMA', 'config/app.json', 3, 28, 'db.pool.max']])
})

test('every problem of every file is reported together, not just the first', async (t) => {
  const Flags = Type.Object({ beta: Type.Boolean(), ratio: Type.Number({ maximum: 1 }) })
  const { events, configs } = await startConfigs(
    t,
    { 'config/app.json': '{ "server": ', 'config/db.yaml': 'a: 1\na: 2\n', 'config/flags.toml': 'beta = "yes"\nratio = 2\n' },
    { schemas: { flags: Flags }, required: [] },
  )
  const rejected = events.find((e) => e.type === 'rejected')
  assert.ok(rejected && rejected.type === 'rejected')
  assert.deepEqual(
    rejected.problems.map((p) => [p.code, p.path, p.line, p.keyPath]).sort(),
    [
      ['HR_CONFIG_DUPLICATE_KEY', 'config/db.yaml', 2, undefined],
      // jsonc-parser reports both the missing value and the missing closing brace.
      ['HR_CONFIG_PARSE', 'config/app.json', 1, undefined],
      ['HR_CONFIG_PARSE', 'config/app.json', 1, undefined],
      ['HR_CONFIG_SCHEMA', 'config/flags.toml', 1, 'beta'],
      ['HR_CONFIG_SCHEMA', 'config/flags.toml', 2, 'ratio'],
    ],
  )
  assert.deepEqual(configs.names(), [])
})
