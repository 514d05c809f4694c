import assert from 'node:assert/strict'
import { test } from 'node:test'
import { diffValues } from '../src/diff.js'
import { formatDiff, REDACTED, redact, redactDiff } from '../src/index.js'

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
