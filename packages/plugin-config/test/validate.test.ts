import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Type } from '@sinclair/typebox'
import { ConfigOptionsError, ConfigSchemaError } from '../src/errors.js'
import { mergeLayers, type ConfigLayer } from '../src/merge.js'
import { ConfigNamer } from '../src/names.js'
import { parseSource, type ConfigFormat } from '../src/parse.js'
import { sanitize } from '../src/safety.js'
import { SchemaSet } from '../src/validate.js'

function layer(path: string, text: string): ConfigLayer {
  const format = path.split('.').pop() as ConfigFormat
  const parsed = parseSource(text, format, { path, maxAliasCount: 100 })
  if (!parsed.ok) assert.fail(parsed.errors.map((e) => e.message).join('; '))
  const clean = sanitize(parsed.source, path)
  if (!clean.ok) assert.fail(clean.errors.map((e) => e.message).join('; '))
  return { path, source: parsed.source, value: clean.value }
}

const App = Type.Object(
  {
    server: Type.Object({
      host: Type.String({ format: 'hostname' }),
      port: Type.Integer({ minimum: 1, maximum: 65535 }),
      timeoutMs: Type.Integer({ default: 5000 }),
    }),
    mode: Type.Union([Type.Literal('dev'), Type.Literal('prod')]),
    admins: Type.Array(Type.String({ format: 'email' })),
  },
  { additionalProperties: false },
)

const BAD = {
  json: '{\n  "server": {\n    "host": "not a host",\n    "port": 70000\n  },\n  "mode": "test",\n  "admins": ["ok@example.com", "nope"],\n  "extra": 1\n}\n',
  yaml: 'server:\n  host: not a host\n  port: 70000\nmode: test\nadmins:\n  - ok@example.com\n  - nope\nextra: 1\n',
  toml: 'mode = "test"\nadmins = ["ok@example.com", "nope"]\nextra = 1\n\n[server]\nhost = "not a host"\nport = 70000\n',
}
// [keyPath, rule, line, column] per format, in ajv's order.
const EXPECTED: Record<ConfigFormat, [string, string, number, number][]> = {
  json: [
    ['extra', 'additionalProperties', 8, 12],
    ['server.host', 'format', 3, 13],
    ['server.port', 'maximum', 4, 13],
    ['mode', 'anyOf', 6, 11],
    ['admins.1', 'format', 7, 32],
  ],
  yaml: [
    ['extra', 'additionalProperties', 8, 8],
    ['server.host', 'format', 2, 9],
    ['server.port', 'maximum', 3, 9],
    ['mode', 'anyOf', 4, 7],
    ['admins.1', 'format', 7, 5],
  ],
  toml: [
    ['extra', 'additionalProperties', 3, 9],
    ['server.host', 'format', 6, 8],
    ['server.port', 'maximum', 7, 8],
    ['mode', 'anyOf', 1, 8],
    ['admins.1', 'format', 2, 29],
  ],
}

test('every schema problem is reported with file, line:column of the value, key path and rule, in each format', () => {
  const schemas = new SchemaSet({ app: App })
  for (const format of ['json', 'yaml', 'toml'] as const) {
    const l = layer(`config/app.${format}`, BAD[format])
    const errors = schemas.validate('app', mergeLayers([l]), [l])
    assert.deepEqual(
      errors.map((e) => [e.keyPath, e.rule, e.line, e.column]),
      EXPECTED[format],
      format,
    )
    for (const e of errors) {
      assert.ok(e instanceof ConfigSchemaError)
      assert.equal(e.code, 'HR_CONFIG_SCHEMA')
      assert.equal(e.path, `config/app.${format}`)
      assert.ok(e.hint, 'every schema problem says how to fix it')
    }
    const messages = errors.map((e) => e.message)
    assert.ok(messages.includes('config "app": server.port must be <= 65535 (schema rule "maximum")'), messages.join('\n'))
    assert.ok(messages.includes('config "app": mode must be one of "dev", "prod" (schema rule "anyOf")'), messages.join('\n'))
    assert.ok(messages.includes('config "app": extra is not an allowed key (schema rule "additionalProperties")'))
    assert.match(errors[0]?.hint ?? '', /allowed keys here: server, mode, admins/)
  }
})

test('a union of object shapes is one problem whose hint says why each shape failed', () => {
  const Storage = Type.Object({
    storage: Type.Union([
      Type.Object({ kind: Type.Literal('disk'), dir: Type.String() }),
      Type.Object({ kind: Type.Literal('s3'), bucket: Type.String() }),
    ]),
  })
  const schemas = new SchemaSet({ storage: Storage })
  const l = layer('config/storage.yaml', 'storage:\n  kind: disk\n  dir: 42\n')
  const errors = schemas.validate('storage', mergeLayers([l]), [l])
  assert.equal(errors.length, 1)
  const [error] = errors
  assert.equal(error?.keyPath, 'storage')
  assert.deepEqual([error?.line, error?.column], [2, 3])
  assert.equal(error?.message, 'config "storage": storage matches none of the 2 allowed shapes (schema rule "anyOf")')
  assert.equal(
    error?.hint,
    'Make it match one of them. Shape 1: storage.dir must be string. Shape 2: storage.bucket is required, storage.kind must be equal to constant.',
  )
})

test('a missing required key is located at its parent object, and the hint says where to add it', () => {
  const schemas = new SchemaSet({ app: App })
  const l = layer('config/app.yaml', 'server:\n  host: localhost\nmode: dev\nadmins: []\n')
  const [error] = schemas.validate('app', mergeLayers([l]), [l])
  assert.equal(error?.keyPath, 'server.port')
  assert.equal(error?.rule, 'required')
  assert.deepEqual([error?.line, error?.column], [2, 3])
  assert.equal(error?.message, 'config "app": server.port is required (schema rule "required")')
  assert.equal(error?.hint, 'Add "port" under "server" of config "app".')
})

test('schema defaults are filled in', () => {
  const schemas = new SchemaSet({ app: App })
  const l = layer('config/app.toml', 'mode = "dev"\nadmins = []\n[server]\nhost = "localhost"\nport = 8080\n')
  const value = mergeLayers([l])
  assert.deepEqual(schemas.validate('app', value, [l]), [])
  assert.equal((value['server'] as { timeoutMs: number }).timeoutMs, 5000)
})

test('an overlay is deep-merged over the base, arrays replace, and problems point at the file that wrote the value', () => {
  const base = layer('config/app.yaml', 'server:\n  host: localhost\n  port: 8080\nmode: dev\nadmins:\n  - a@example.com\n  - b@example.com\n')
  const overlay = layer('config/app.production.json', '{\n  "server": { "port": 0 },\n  "admins": ["c@example.com"]\n}\n')
  const value = mergeLayers([base, overlay])
  assert.deepEqual(value, { server: { host: 'localhost', port: 0 }, mode: 'dev', admins: ['c@example.com'] })
  // The layers keep their own values.
  assert.deepEqual(base.value['admins'], ['a@example.com', 'b@example.com'])

  const schemas = new SchemaSet({ app: App })
  const [error] = schemas.validate('app', value, [base, overlay])
  assert.equal(error?.keyPath, 'server.port')
  assert.equal(error?.path, 'config/app.production.json')
  assert.deepEqual([error?.line, error?.column], [2, 23])

  const badBase = layer('config/app.yaml', 'server:\n  host: -bad-\n  port: 8080\nmode: dev\nadmins: []\n')
  const [fromBase] = schemas.validate('app', mergeLayers([badBase, overlay]), [badBase, overlay])
  assert.equal(fromBase?.keyPath, 'server.host')
  assert.equal(fromBase?.path, 'config/app.yaml')
  assert.deepEqual([fromBase?.line, fromBase?.column], [2, 9])
})

test('a schema ajv cannot compile fails at plugin creation, naming the config', () => {
  assert.throws(
    () => new SchemaSet({ broken: { type: 'object', properties: { a: { type: 'strnig' } } } as never }),
    (e: unknown) => e instanceof ConfigOptionsError && /schema for config "broken" does not compile/.test(e.message),
  )
})

test('names come from paths below the glob base; overlays from the second dot segment', () => {
  const namer = new ConfigNamer(['config/**/*.{json,yaml,yml,toml}'])
  const role = (p: string) => {
    const r = namer.resolve(p)
    return r.ok ? r.role : r.error.code
  }
  assert.deepEqual(role('config/app.toml'), { name: 'app', format: 'toml' })
  assert.deepEqual(role('config/database.production.yaml'), { name: 'database', env: 'production', format: 'yaml' })
  assert.deepEqual(role('config/services/db.yml'), { name: 'services/db', format: 'yaml' })
  assert.equal(role('config/a.b.c.json'), 'HR_CONFIG_NAME')
  assert.equal(namer.matches('config/app.toml'), true)
  assert.equal(namer.matches('templates/app.toml'), false)

  const wide = new ConfigNamer(['settings/**'])
  const unknown = wide.resolve('settings/notes.txt')
  assert.equal(unknown.ok, false)
  if (!unknown.ok) {
    assert.equal(unknown.error.code, 'HR_CONFIG_FORMAT')
    assert.match(unknown.error.message, /unknown config file type "notes.txt"/)
    assert.match(unknown.error.hint ?? '', /\.json, \.yaml, \.yml, \.toml/)
  }
})
