import assert from 'node:assert/strict'
import { test } from 'node:test'
import { diffValues } from '../src/diff.js'
import { formatDiff, REDACTED, redact, redactDiff } from '../src/index.js'
import { DEFAULT_REDACT_PATTERN, hideSecrets, redactSecrets, secretValues } from '../src/redact.js'
import { ConfigNamer } from '../src/names.js'
import { withoutSecrets } from '../src/problem-secrets.js'
import type { FileEntry } from '../src/stage.js'

const CONFIG = {
  db: { host: 'db.internal', password: 'hunter2', pool: { max: 10 } },
  apiToken: 'tok_123',
  secrets: { stripe: 'sk_live', nested: { x: 1 } },
  keyFile: '/etc/key.pem',
  servers: [{ name: 'a', SECRET: 's' }],
}

test('redact hides values under password, secret, token and key keys, any case, whole subtrees', () => {
  assert.deepEqual(redact(CONFIG), {
    db: { host: 'db.internal', password: REDACTED, pool: { max: 10 } },
    apiToken: REDACTED,
    secrets: REDACTED,
    keyFile: REDACTED,
    servers: [{ name: 'a', SECRET: REDACTED }],
  })
  // The input is untouched.
  assert.equal(CONFIG.db.password, 'hunter2')
})

test('a custom pattern replaces the default, and /g patterns do not skip matches', () => {
  assert.deepEqual(redact({ host: 'h', password: 'p', dsn: 'postgres://u:p@h' }, /dsn/gi), { host: 'h', password: 'p', dsn: REDACTED })
  assert.deepEqual(redact({ a: { dsn: 1 }, b: { dsn: 2 }, c: { dsn: 3 } }, /dsn/g), { a: { dsn: REDACTED }, b: { dsn: REDACTED }, c: { dsn: REDACTED } })
})

test('redactDiff hides both sides of a change under a secret key and redacts inside other values', () => {
  const diff = diffValues(
    { db: { password: 'old', host: 'a' } },
    { db: { password: 'new', host: 'b' }, extra: { token: 't', ok: 1 } },
  )
  assert.deepEqual(
    redactDiff(diff).map((e) => [e.kind, e.path, e.oldValue, e.newValue]),
    [
      ['changed', 'db.password', REDACTED, REDACTED],
      ['changed', 'db.host', 'a', 'b'],
      ['added', 'extra', undefined, { token: REDACTED, ok: 1 }],
    ],
  )
})

test('formatDiff prints one redacted line per entry', () => {
  const diff = diffValues({ db: { password: 'old', max: 1 }, gone: { a: 1 } }, { db: { password: 'new', max: 2 }, add: 'x' })
  assert.deepEqual(formatDiff(diff), ['~ db.password: "[redacted]" -> "[redacted]"', '~ db.max: 1 -> 2', '+ add = "x"', '- gone = {"a":1}'])
  const text = formatDiff(diff).join('\n')
  assert.ok(!text.includes('old') && !text.includes('new"'))
})

test('secretValues finds the values under secret keys, whole subtrees included, longest first', () => {
  const value = { db: { password: 'hunter2', port: 5432 }, api: { token: 12345, keys: ['k-one', { x: 'k-two' }] }, name: 'app' }
  assert.deepEqual(secretValues(value), ['hunter2', '12345', 'k-one', 'k-two'])
  assert.deepEqual(secretValues(value, /^name$/), ['app'])
})

test('hideSecrets replaces secrets as whole words in a problem message and hint, and leaves the rest', () => {
  const problem = { code: 'HR_CONFIG_SCHEMA', message: 'db.password "hunter2" must be longer; hunter22 is another word', hint: 'Not hunter2, and not 12345 or 123456.' }
  const hidden = hideSecrets(problem, secretValues({ password: 'hunter2', token: 12345 }))
  assert.deepEqual(hidden, {
    code: 'HR_CONFIG_SCHEMA',
    message: 'db.password "[redacted]" must be longer; hunter22 is another word',
    hint: 'Not [redacted], and not [redacted] or 123456.',
  })
  // Characters that mean something in a regular expression are matched literally.
  assert.equal(redactSecrets('p=a+b(c)*', ['a+b(c)*']), 'p=[redacted]')
  assert.equal(hideSecrets(problem, []), problem)
})

test('withoutSecrets hides the secrets of every file of the config a problem names, and only those', () => {
  const namer = new ConfigNamer(['config/**/*.{json,yaml,yml,toml}'])
  const entry = (path: string, value: Record<string, unknown>): [string, FileEntry] => {
    const named = namer.resolve(path)
    assert.ok(named.ok)
    return [path, { path, role: named.role, layer: { path, value, source: { format: 'yaml', value, valuePositions: new Map(), keyPositions: new Map() } } }]
  }
  const files = new Map([
    entry('config/app.yaml', { db: { password: 'base-secret' } }),
    entry('config/app.test.yaml', { api: { token: 'overlay-secret' } }),
    entry('config/other.yaml', { password: 'other-secret' }),
  ])
  const settings = { namer, redact: DEFAULT_REDACT_PATTERN }
  const problem = { code: 'HR_CONFIG_SCHEMA', path: 'config/app.test.yaml', message: 'base-secret, overlay-secret and other-secret' }
  assert.equal(withoutSecrets(problem, files, settings).message, '[redacted], [redacted] and other-secret')
  assert.equal(withoutSecrets({ ...problem, path: undefined }, files, settings).message, problem.message)
})
