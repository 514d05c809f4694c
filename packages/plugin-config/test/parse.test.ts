import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigParseError, ConfigSafetyError } from '../src/errors.js'
import { formatOf, locate, parseSource, type ConfigFormat, type ParsedSource } from '../src/parse.js'

const OPTIONS = { path: 'config/app.x', maxAliasCount: 100 }

function parsed(text: string, format: ConfigFormat): ParsedSource {
  const result = parseSource(text, format, OPTIONS)
  if (!result.ok) assert.fail(`expected ${format} to parse, got: ${result.errors.map((e) => e.message).join('; ')}`)
  return result.source
}

function errorsOf(text: string, format: ConfigFormat) {
  const result = parseSource(text, format, OPTIONS)
  assert.equal(result.ok, false, `expected ${format} to fail`)
  return result.ok ? [] : result.errors
}

// The same config in the three formats, with `db.pool.max` on line 4 in each.
const SAME = {
  json: '{\n  // comment\n  "db": { "host": "x",\n    "pool": { "max": 10 } },\n  "servers": [ { "host": "a" }, { "host": "b" } ],\n}\n',
  yaml: '# comment\ndb:\n  host: x\n  pool: { max: 10 }\nservers:\n  - host: a\n  - host: b\n',
  toml: '# comment\n[db]\nhost = "x"\npool.max = 10\n\n[[servers]]\nhost = "a"\n[[servers]]\nhost = "b"\n',
} as const

test('all three formats yield the same value, JSON with comments and trailing commas', () => {
  const expected = { db: { host: 'x', pool: { max: 10 } }, servers: [{ host: 'a' }, { host: 'b' }] }
  for (const format of ['json', 'yaml', 'toml'] as const) {
    assert.deepEqual(JSON.parse(JSON.stringify(parsed(SAME[format], format).value)), expected, format)
  }
})

test('values are located at their line:column in each format, arrays of tables included', () => {
  const json = parsed(SAME.json, 'json')
  assert.deepEqual(locate(json, ['db', 'pool', 'max']), { position: { line: 4, column: 22 }, exact: true })
  assert.deepEqual(locate(json, ['servers', 1, 'host']), { position: { line: 5, column: 43 }, exact: true })

  const yaml = parsed(SAME.yaml, 'yaml')
  assert.deepEqual(locate(yaml, ['db', 'pool', 'max']), { position: { line: 4, column: 16 }, exact: true })
  assert.deepEqual(locate(yaml, ['servers', 1, 'host']), { position: { line: 7, column: 11 }, exact: true })

  const toml = parsed(SAME.toml, 'toml')
  assert.deepEqual(locate(toml, ['db', 'pool', 'max']), { position: { line: 4, column: 12 }, exact: true })
  assert.deepEqual(locate(toml, ['db', 'host']), { position: { line: 3, column: 8 }, exact: true })
  assert.deepEqual(locate(toml, ['servers', 1, 'host']), { position: { line: 9, column: 8 }, exact: true })
  assert.deepEqual(locate(toml, ['servers', 1]), { position: { line: 8, column: 1 }, exact: true })
})

test('a path the file does not contain is located at its nearest written ancestor', () => {
  const yaml = parsed(SAME.yaml, 'yaml')
  assert.deepEqual(locate(yaml, ['db', 'pool', 'min']), { position: { line: 4, column: 9 }, exact: false })
  assert.deepEqual(locate(yaml, ['nope', 'deeper']), { position: { line: 2, column: 1 }, exact: false })
})

test('syntax errors carry the parser line:column, in each format', () => {
  const [json] = errorsOf('{\n  "a": 1,\n  "b": \n}\n', 'json')
  assert.ok(json instanceof ConfigParseError)
  assert.equal(json.code, 'HR_CONFIG_PARSE')
  assert.equal(json.path, 'config/app.x')
  assert.deepEqual([json.line, json.column], [4, 1])
  assert.match(json.message, /invalid JSON: value expected/)

  const yamlErrors = errorsOf('a: 1\nb: [1, 2\nc: 3\n', 'yaml')
  assert.ok(yamlErrors.length >= 1)
  assert.ok(yamlErrors.every((e) => e instanceof ConfigParseError && e.line !== undefined && e.column !== undefined))
  assert.match(yamlErrors[0]?.message ?? '', /^invalid YAML: Flow sequence .* must .* end with a \]/)
  // The parser notices the missing ] where the next key starts.
  assert.deepEqual([yamlErrors[0]?.line, yamlErrors[0]?.column], [3, 1])

  const [toml] = errorsOf('a = 1\nb = \n', 'toml')
  assert.ok(toml instanceof ConfigParseError)
  assert.deepEqual([toml.line, toml.column], [2, 5])
  assert.match(toml.message, /invalid TOML: /)
})

test('an empty JSON file is a parse error; an empty YAML or TOML file is an empty config', () => {
  const [json] = errorsOf('', 'json')
  assert.match(json?.message ?? '', /invalid JSON/)
  assert.deepEqual(parsed('', 'yaml').value, {})
  assert.deepEqual(JSON.parse(JSON.stringify(parsed('', 'toml').value)), {})
})

test('duplicate keys are errors in all three formats, located at the second definition', () => {
  const [json] = errorsOf('{\n  "a": 1,\n  "a": 2\n}', 'json')
  assert.ok(json instanceof ConfigSafetyError)
  assert.equal(json.code, 'HR_CONFIG_DUPLICATE_KEY')
  assert.deepEqual([json.line, json.column], [3, 3])
  assert.match(json.message, /duplicate key "a" \(first defined at line 2, column 3\)/)

  const [yaml] = errorsOf('a: 1\nb:\n  c: 2\n  c: 3\n', 'yaml')
  assert.equal(yaml?.code, 'HR_CONFIG_DUPLICATE_KEY')
  assert.equal(yaml?.line, 4)

  const [toml] = errorsOf('a = 1\n[t]\nx = 1\nx = 2\n', 'toml')
  assert.equal(toml?.code, 'HR_CONFIG_DUPLICATE_KEY')
  assert.equal(toml?.line, 4)
})

test('several YAML documents in one file are refused with a clear message', () => {
  const [error] = errorsOf('a: 1\n---\nb: 2\n', 'yaml')
  assert.match(error?.message ?? '', /several YAML documents/)
})

test('formats come from the extension, case-insensitively; others are unknown', () => {
  assert.equal(formatOf('app.json'), 'json')
  assert.equal(formatOf('app.YML'), 'yaml')
  assert.equal(formatOf('app.production.yaml'), 'yaml')
  assert.equal(formatOf('app.toml'), 'toml')
  assert.equal(formatOf('app.ini'), undefined)
  assert.equal(formatOf('Makefile'), undefined)
})

test('YAML merge keys share defaults; the merged keys count as aliases against the limit', () => {
  const text = 'defaults: &d\n  retries: 3\n  timeout: 10\nprimary:\n  <<: *d\n  timeout: 20\n'
  assert.deepEqual(parsed(text, 'yaml').value, { defaults: { retries: 3, timeout: 10 }, primary: { retries: 3, timeout: 20 } })
  const limited = parseSource(text, 'yaml', { ...OPTIONS, maxAliasCount: 0 })
  assert.equal(limited.ok, false)
})
