import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigSafetyError } from '../src/errors.js'
import { parseSource, type ConfigFormat } from '../src/parse.js'
import { checkSize, deepFreeze, MAX_DEPTH, sanitize } from '../src/safety.js'

function clean(text: string, format: ConfigFormat, maxAliasCount = 100) {
  const parsed = parseSource(text, format, { path: `config/app.${format}`, maxAliasCount })
  if (!parsed.ok) return { ok: false as const, errors: parsed.errors }
  return sanitize(parsed.source, `config/app.${format}`)
}

test('__proto__, constructor and prototype keys are refused in every format, each at its key', () => {
  const cases: [ConfigFormat, string, [string, number, number][]][] = [
    ['json', '{\n  "a": { "__proto__": { "admin": true } },\n  "constructor": 1\n}', [['a.__proto__', 2, 10], ['constructor', 3, 3]]],
    ['yaml', 'a:\n  __proto__:\n    admin: true\nlist:\n  - prototype: 1\n', [['a.__proto__', 2, 3], ['list.0.prototype', 5, 5]]],
    ['toml', '[a]\n__proto__ = { admin = true }\n[b.constructor]\nx = 1\n', [['a.__proto__', 2, 1], ['b.constructor', 3, 4]]],
  ]
  for (const [format, text, expected] of cases) {
    const result = clean(text, format)
    assert.equal(result.ok, false, format)
    if (result.ok) continue
    assert.deepEqual(
      result.errors.map((e) => [e.keyPath, e.line, e.column]),
      expected,
      format,
    )
    for (const e of result.errors) {
      assert.ok(e instanceof ConfigSafetyError)
      assert.equal(e.code, 'HR_CONFIG_UNSAFE_KEY')
      assert.equal(e.path, `config/app.${format}`)
      assert.match(e.message, /is not allowed/)
    }
  }
  // Nothing reached the real prototype while checking.
  assert.equal(({} as Record<string, unknown>)['admin'], undefined)
})

test('a billion-laughs YAML file is refused fast with a clear message', () => {
  let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
  const names = 'abcdefghij'
  for (let i = 1; i < names.length; i++) text += `${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(',')}]\n`
  const started = performance.now()
  const result = clean(text, 'yaml')
  const ms = performance.now() - started
  assert.equal(result.ok, false)
  if (result.ok) return
  assert.equal(result.errors[0]?.code, 'HR_CONFIG_ALIASES')
  assert.match(result.errors[0]?.message ?? '', /aliases expand to more than 100 nodes/)
  assert.ok(ms < 1000, `took ${ms} ms`)
})

test('a few aliases within the limit are expanded normally', () => {
  const result = clean('base: &base { retries: 3 }\nprimary: *base\nreplica: *base\n', 'yaml')
  assert.ok(result.ok)
  assert.deepEqual(result.value, { base: { retries: 3 }, primary: { retries: 3 }, replica: { retries: 3 } })
  const strict = clean('base: &base { retries: 3 }\nprimary: *base\nreplica: *base\n', 'yaml', 0)
  assert.equal(strict.ok, false)
})

test('files over the size limit are refused with the numbers and the option to raise', () => {
  assert.equal(checkSize(1024, 1024, 'config/a.json'), undefined)
  const error = checkSize(1025, 1024, 'config/a.json')
  assert.ok(error instanceof ConfigSafetyError)
  assert.equal(error.code, 'HR_CONFIG_TOO_LARGE')
  assert.equal(error.path, 'config/a.json')
  assert.match(error.message, /1025 bytes, over the 1024-byte limit/)
  assert.match(error.hint ?? '', /maxFileBytes/)
})

test('the top level must be an object', () => {
  for (const [format, text] of [['json', '[1, 2]'], ['yaml', '- a\n- b\n'], ['yaml', '42\n'], ['json', 'null']] as const) {
    const result = clean(text, format)
    assert.equal(result.ok, false, text)
    if (!result.ok) assert.equal(result.errors[0]?.code, 'HR_CONFIG_NOT_OBJECT')
  }
})

test('TOML dates become their TOML text and objects become plain objects', () => {
  const result = clean('day = 1979-05-27\nat = 1979-05-27T07:32:00Z\ntime = 07:32:00\n[t]\nx = 1\n', 'toml')
  assert.ok(result.ok)
  assert.equal(result.value['day'], '1979-05-27')
  assert.equal(result.value['at'], '1979-05-27T07:32:00.000Z')
  assert.equal(typeof result.value['time'], 'string')
  assert.equal(Object.getPrototypeOf(result.value), Object.prototype)
  assert.equal(Object.getPrototypeOf(result.value['t']), Object.prototype)
})

test('nesting deeper than the limit is refused instead of risking the stack', () => {
  const deep = `${'['.repeat(MAX_DEPTH + 5)}${']'.repeat(MAX_DEPTH + 5)}`
  const result = clean(`{"a": ${deep}}`, 'json')
  assert.equal(result.ok, false)
  if (!result.ok) assert.match(result.errors[0]?.message ?? '', /nest deeper than 100 levels/)
})

test('deepFreeze freezes every level, including inside already-frozen containers', () => {
  const inner = { list: [{ x: 1 }] }
  const value = deepFreeze({ a: Object.freeze({ inner }) })
  assert.ok(Object.isFrozen(value) && Object.isFrozen(value.a) && Object.isFrozen(inner) && Object.isFrozen(inner.list) && Object.isFrozen(inner.list[0]))
  assert.throws(() => {
    ;(inner.list[0] as { x: number }).x = 2
  }, TypeError)
})
