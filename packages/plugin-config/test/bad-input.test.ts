// Issue 12: input the parsers accepted although it is wrong, or refused without a position.
// Each class is checked in every format it applies to, at the parser level (parseFile /
// parseSource, the functions the plugin calls on a file's bytes); cli-bad-input.test.ts runs
// the same cases through the real CLI.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ConfigError } from '../src/errors.js'
import { parseFile, parseSource, type ConfigFormat } from '../src/parse.js'
import { MAX_DEPTH, sanitize } from '../src/safety.js'

const OPTIONS = { path: 'config/app.x', maxAliasCount: 100 }

function problems(input: string | Uint8Array, format: ConfigFormat): ConfigError[] {
  const result = typeof input === 'string' ? parseSource(input, format, OPTIONS) : parseFile(input, format, OPTIONS)
  if (result.ok) {
    const clean = sanitize(result.source, OPTIONS.path)
    assert.equal(clean.ok, false, `expected ${format} to be refused: ${typeof input === 'string' ? input.slice(0, 80) : '<bytes>'}`)
    return clean.ok ? [] : clean.errors
  }
  return [...result.errors]
}

function value(input: string | Uint8Array, format: ConfigFormat): unknown {
  const result = typeof input === 'string' ? parseSource(input, format, OPTIONS) : parseFile(input, format, OPTIONS)
  if (!result.ok) assert.fail(`expected ${format} to parse, got: ${result.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('; ')}`)
  const clean = sanitize(result.source, OPTIONS.path)
  if (!clean.ok) assert.fail(`expected ${format} to be accepted, got: ${clean.errors.map((e) => e.message).join('; ')}`)
  return clean.value
}

const where = (e: ConfigError | undefined) => [e?.code, e?.path, e?.line, e?.column]
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))))

test('invalid UTF-8 is refused in every format at the line:column of the first bad byte', () => {
  const cases: [ConfigFormat, Buffer, number, number][] = [
    ['json', bytes('{\n  "name": "caf\u00e9 ', [0xff, 0xfe], '"\n}\n'), 2, 17],
    ['yaml', bytes('a: 1\nname: caf\u00e9 ', [0xff, 0xfe], '\n'), 2, 12],
    ['toml', bytes('a = 1\nname = "caf\u00e9 ', [0xff, 0xfe], '"\n'), 2, 14],
  ]
  for (const [format, input, line, column] of cases) {
    const [error, ...rest] = problems(input, format)
    assert.deepEqual(where(error), ['HR_CONFIG_PARSE', 'config/app.x', line, column], format)
    assert.equal(rest.length, 0)
    assert.match(error?.message ?? '', /not valid UTF-8: byte 0xff/)
    assert.match(error?.hint ?? '', /Save the file as UTF-8/)
  }
})

test('the UTF-8 check finds every kind of bad sequence, and steps over a real U+FFFD', () => {
  const cases: [string, Buffer, number, number][] = [
    ['a lone continuation byte', bytes('a: x', [0x80], '\n'), 1, 5],
    ['an overlong encoding of "/"', bytes('a: 1\nb: ', [0xc0, 0xaf], '\n'), 2, 4],
    ['an encoded surrogate', bytes('a: ', [0xed, 0xa0, 0x80], '\n'), 1, 4],
    ['a sequence cut at the end of the file', bytes('a: 1\nb: x', [0xe2, 0x82]), 2, 5],
    ['a bad byte after a U+FFFD the file really holds', bytes('a: "\ufffd"\nb: "\ufffd', [0xfe], '"\n'), 2, 6],
    ['a bad byte on the first line after a byte order mark', bytes('\ufeffa: ', [0xff], '\n'), 1, 4],
  ]
  for (const [label, input, line, column] of cases) {
    const [error] = problems(input, 'yaml')
    assert.deepEqual([error?.line, error?.column], [line, column], label)
    assert.match(error?.message ?? '', /not valid UTF-8/, label)
  }
  // Valid UTF-8, a U+FFFD and a BOM included, parses as before.
  assert.deepEqual(value(bytes('\ufeffa: "\ufffd caf\u00e9"\n'), 'yaml'), { a: '\ufffd caf\u00e9' })
  // A UTF-16 file says what it is.
  const [utf16] = problems(Buffer.from('\ufeffa = 1\n', 'utf16le'), 'toml')
  assert.deepEqual([utf16?.line, utf16?.column], [1, 1])
  assert.match(utf16?.hint ?? '', /UTF-16/)
})

test('YAML errors that had no position are reported at the node: dangling aliases, aliases before their anchor, bad merges', () => {
  const cases: [string, string, number, number, RegExp][] = [
    ['alias to an undefined anchor', 'a: 1\nname: *nope\n', 2, 7, /the alias \*nope refers to no anchor/],
    ['alias before its anchor', 'first: *base\nbase: &base { x: 1 }\n', 1, 8, /the alias \*base is used before its anchor &base \(line 2\)/],
    ['<< on a scalar', 'base:\n  <<: 1\n  x: 2\n', 2, 7, /the merge key << takes a mapping or a list of mappings, and this is a single value/],
    ['<< on an alias to a scalar', 'one: &one 1\nbase:\n  <<: *one\n', 3, 7, /merge key <<.*single value/],
    ['<< on a list of scalars', 'base:\n  <<: [1, 2]\n', 2, 8, /merge key <<.*single value/],
    ['<< on a list holding an alias to a scalar', 'one: &one 1\nmap: &map { y: 1 }\nbase:\n  <<: [*map, *one]\n', 4, 14, /merge key <<.*single value/],
  ]
  for (const [label, text, line, column, message] of cases) {
    const [error] = problems(text, 'yaml')
    assert.deepEqual(where(error), ['HR_CONFIG_PARSE', 'config/app.x', line, column], label)
    assert.match(error?.message ?? '', message, label)
    assert.ok(error?.hint, label)
  }
  // A quoted "<<" is an ordinary key, not a merge.
  assert.deepEqual(value('"<<": 1\n', 'yaml'), { '<<': 1 })
  // Aliases and merges that are right still work.
  assert.deepEqual(value('d: &d { a: 1 }\ne: &e { b: 2 }\nx:\n  <<: [*d, *e]\n  c: 3\ny: *d\n', 'yaml'), {
    d: { a: 1 },
    e: { b: 2 },
    x: { a: 1, b: 2, c: 3 },
    y: { a: 1 },
  })
})

test('YAML that the parser accepted wrongly: a NUL (or other control character) and a collection used as a key, with no process warning', async () => {
  const warnings: Error[] = []
  const onWarning = (w: Error) => warnings.push(w)
  process.on('warning', onWarning)
  try {
    const nul = problems('a: 1\nname: ab\u0000c\n', 'yaml')
    assert.deepEqual(where(nul[0]), ['HR_CONFIG_PARSE', 'config/app.x', 2, 9])
    assert.match(nul[0]?.message ?? '', /U\+0000 \(NUL\) is not allowed/)
    const escape = problems('a: "x\u001b[31m"\n', 'yaml')
    assert.deepEqual([escape[0]?.line, escape[0]?.column], [1, 6])

    for (const [text, line, column] of [
      ['? [a, b]\n: 1\n', 1, 3],
      ['x: 1\n? { a: 1 }\n: 2\n', 2, 3],
      ['list: &l [1]\nmap:\n  *l : 3\n', 3, 3],
    ] as const) {
      const [error] = problems(text, 'yaml')
      assert.deepEqual(where(error), ['HR_CONFIG_UNSUPPORTED_VALUE', 'config/app.x', line, column], text)
      assert.match(error?.message ?? '', /a mapping key is a list or a mapping/)
    }
    // A double-quoted escape is how such a character is written, and is kept.
    assert.deepEqual(value('a: "x\\0y"\n', 'yaml'), { a: 'x\u0000y' })
    // Give a warning emitted asynchronously the chance to arrive before checking there was none.
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(warnings, [])
  } finally {
    process.off('warning', onWarning)
  }
})

test('impossible TOML dates are refused at the value instead of being moved to another day', () => {
  for (const [text, line, column] of [
    ['d = 1979-02-30\n', 1, 5],
    ['x = 1\nd = 1979-02-29\n', 2, 5],
    ['d = 1900-02-29T10:00:00Z\n', 1, 5],
    ['d = 1979-04-31 07:32:00\n', 1, 5],
    ['dates = [2020-01-01, 1979-06-31]\n', 1, 22],
    ['[t]\nat = 1979-11-31T00:00:00.5+01:00\n', 2, 6],
  ] as const) {
    const [error] = problems(text, 'toml')
    assert.deepEqual(where(error), ['HR_CONFIG_PARSE', 'config/app.x', line, column], text)
    assert.match(error?.message ?? '', /this date does not exist/)
  }
  const [time] = problems('t = 24:00:00\n', 'toml')
  assert.deepEqual(where(time), ['HR_CONFIG_PARSE', 'config/app.x', 1, 5])
  // Real dates, leap days included, are kept as their TOML text.
  assert.deepEqual(value('a = 2000-02-29\nb = 2024-02-29\nc = 1979-04-30\n', 'toml'), { a: '2000-02-29', b: '2024-02-29', c: '1979-04-30' })
})

test('TOML 1.1 syntax is refused: config files are TOML 1.0, as the README says', () => {
  for (const [text, line, column] of [
    ['t = { a = 1, }\n', 1, 14],
    ['t = { a = 1,\n  b = 2 }\n', 2, 3],
    ['s = "\\e[0m"\n', 1, 7],
    ['at = 07:32\n', 1, 11],
  ] as const) {
    const [error] = problems(text, 'toml')
    assert.deepEqual(where(error), ['HR_CONFIG_PARSE', 'config/app.x', line, column], text)
    assert.match(error?.message ?? '', /^TOML 1\.1 syntax is not accepted \(config files are TOML 1\.0\)/, text)
    assert.match(error?.hint ?? '', /inline table on one line/)
  }
  assert.deepEqual(value('t = { a = 1, b = 2 }\nat = 07:32:00\n', 'toml'), { t: { a: 1, b: 2 }, at: '07:32:00.000' })
})

test('deep nesting is refused by the pre-scan, before a parser builds the document, in every format and shape', () => {
  const deep = MAX_DEPTH + 50
  const cases: [ConfigFormat, string, string][] = [
    ['json', 'brackets', `{"a": ${'['.repeat(deep)}${']'.repeat(deep)}}`],
    ['json', 'objects, one per line', `{\n${'"a": {\n'.repeat(deep)}${'}'.repeat(deep)}}`],
    ['json', 'brackets never closed, 1 MiB', `{"a": ${'['.repeat(1024 * 1024 - 10)}`],
    ['yaml', 'flow sequences', `a: ${'['.repeat(deep)}${']'.repeat(deep)}\n`],
    ['yaml', 'flow mappings', `a: ${'{a: '.repeat(deep)}1${'}'.repeat(deep)}\n`],
    ['yaml', 'compact block sequences', `a:\n${'- '.repeat(deep)}x\n`],
    ['yaml', 'indented mappings', Array.from({ length: deep }, (_, i) => `${' '.repeat(i)}k:\n`).join('') + `${' '.repeat(deep)}v: 1\n`],
    ['yaml', 'flow after a quoted key', `"k": ${'['.repeat(deep)}\n`],
    ['yaml', 'flow after an alias key', `a: &a x\n*a : ${'{'.repeat(deep)}\n`],
    ['yaml', 'flow after a flow key', `[k]: ${'['.repeat(deep)}\n`],
    ['yaml', 'flow after an anchor and a tag', `a: &x !!seq ${'['.repeat(deep)}\n`],
    ['yaml', 'sequences at their key column', Array.from({ length: deep }, (_, i) => `${'  '.repeat(i)}- k:\n`).join('')],
    ['toml', 'arrays', `a = ${'['.repeat(deep)}${']'.repeat(deep)}\n`],
    ['toml', 'inline tables', `a = ${'{ a = '.repeat(deep)}1${' }'.repeat(deep)}\n`],
    ['toml', 'dotted keys', `a${'.a'.repeat(deep)} = 1\n`],
    ['toml', 'a table header', `x = 1\n[a${'.a'.repeat(deep)}]\nb = 1\n`],
    ['toml', 'an array of tables', `[[a${'."b"'.repeat(deep)}]]\n`],
  ]
  for (const [format, shape, text] of cases) {
    const found = problems(text, format)
    assert.equal(found.length, 1, `${format} ${shape}`)
    const [error] = found
    assert.equal(error?.code, 'HR_CONFIG_UNSUPPORTED_VALUE', `${format} ${shape}`)
    assert.match(error?.message ?? '', /values nest deeper than 100 levels/)
    // The hint tells the pre-scan's refusal from sanitize's, which runs on a built document.
    assert.match(error?.hint ?? '', /refused before it was parsed/, `${format} ${shape}`)
    assert.ok(error?.line !== undefined && error.column !== undefined, `${format} ${shape}`)
  }
})

test('the pre-scan lets through what is within the limit, with brackets and indicators inside strings and comments', () => {
  const limit = MAX_DEPTH
  const nested = (n: number): unknown => (n === 0 ? 1 : { a: nested(n - 1) })
  // Containers down to key path length 100: the deepest value sanitize accepts.
  assert.deepEqual(value(JSON.stringify(nested(limit + 1)), 'json'), nested(limit + 1))
  assert.deepEqual(value(`a${'.a'.repeat(limit)} = 1\n`, 'toml'), nested(limit + 1))
  const yaml = Array.from({ length: limit }, (_, i) => `${' '.repeat(i)}a:\n`).join('') + `${' '.repeat(limit)}a: 1\n`
  assert.deepEqual(value(yaml, 'yaml'), nested(limit + 1))
  const seqs = `${'- '.repeat(limit)}x\n`
  assert.equal(JSON.stringify(value(`a:\n${seqs.replace(/^/, '  ')}`, 'yaml')), `{"a":${'['.repeat(limit)}"x"${']'.repeat(limit)}}`)

  const brackets = '['.repeat(300)
  assert.deepEqual(value(`{"s": "${brackets}", // ${brackets}\n /* ${brackets} */ "t": 1}`, 'json'), { s: brackets, t: 1 })
  assert.deepEqual(value(`s = "${brackets}"\nl = '${brackets}'\nm = """\n${brackets}\n"""\n# ${brackets}\n`, 'toml'), { s: brackets, l: brackets, m: `${brackets}\n` })
  const yamlStrings = `s: "${brackets}"\nq: '${brackets}'\np: a${brackets}\nb: |\n${'  - - - -\n'.repeat(200)}c: x # ${brackets}\n`
  const parsed = value(yamlStrings, 'yaml') as Record<string, string>
  assert.equal(parsed['s'], brackets)
  assert.equal(parsed['p'], `a${brackets}`)
  assert.equal(parsed['b'], '- - - -\n'.repeat(200))
})

test('integers that do not survive the round trip through their format are refused, at the value', () => {
  const cases: [ConfigFormat, string, number, number][] = [
    ['json', '{\n  "id": 9007199254740993\n}', 2, 9],
    ['json', '{"n": -9007199254740993}', 1, 7],
    ['json', '{"n": [1, 123456789012345678901234567890]}', 1, 11],
    ['json', '{"n": 1e400}', 1, 7],
    ['yaml', 'id: 9007199254740993\n', 1, 5],
    ['yaml', 'ids:\n  - 0x20000000000001\n', 2, 5],
    ['yaml', '9007199254740993: key\n', 1, 1],
    ['toml', 'id = 9007199254740993\n', 1, 6],
    ['toml', '[t]\nid = -9_007_199_254_740_993\n', 2, 6],
  ]
  for (const [format, text, line, column] of cases) {
    const [error] = problems(text, format)
    assert.deepEqual(where(error), ['HR_CONFIG_UNSUPPORTED_VALUE', 'config/app.x', line, column], `${format}: ${text}`)
    assert.match(error?.message ?? '', /too large to be read exactly/)
    assert.match(error?.hint ?? '', /Quote it/)
    // The digits are not repeated: the value might be a secret, and the position shows it.
    assert.ok(!(error?.message ?? '').includes('9007199254740993'))
  }
  // What a double holds exactly is kept, 2^53 itself and floats included.
  assert.deepEqual(value('{"a": 9007199254740991, "b": 9007199254740992, "c": -9007199254740991, "d": 0.1, "e": 1e300}', 'json'), {
    a: 9007199254740991,
    b: 9007199254740992,
    c: -9007199254740991,
    d: 0.1,
    e: 1e300,
  })
  assert.deepEqual(value('a: 9007199254740992\nb: .inf\nc: 1.5e300\n', 'yaml'), { a: 9007199254740992, b: Infinity, c: 1.5e300 })
})

test('an alias bomb is refused with the file and the position of the first alias', () => {
  let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
  const names = 'abcdefghij'
  for (let i = 1; i < names.length; i++) text += `${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(',')}]\n`
  const [error] = problems(text, 'yaml')
  assert.deepEqual(where(error), ['HR_CONFIG_ALIASES', 'config/app.x', 2, 8])
})
