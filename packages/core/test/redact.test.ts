import assert from 'node:assert/strict'
import { test } from 'node:test'
import { REDACTED, redactSecrets, redactValue } from '@hotreload/core'

test('credentials inside URLs are masked, user names included', () => {
  const cases: [string, string][] = [
    ['postgres://user:pass@host:5432/db', 'postgres://[redacted]@host:5432/db'],
    ['postgresql://app:p@ss@db.internal/app', 'postgresql://[redacted]@db.internal/app'],
    ['redis://:hunter2@localhost:6379/0', 'redis://[redacted]@localhost:6379/0'],
    ['clone https://ghp_abc123XYZ@github.com/acme/app.git now', 'clone https://[redacted]@github.com/acme/app.git now'],
    ['amqps://guest:guest@mq:5671 and mongodb+srv://root:pw@cluster0.x.net/db', 'amqps://[redacted]@mq:5671 and mongodb+srv://[redacted]@cluster0.x.net/db'],
  ]
  for (const [input, expected] of cases) assert.equal(redactSecrets(input), expected)
})

test('Authorization headers, bare bearer tokens and secret parameters are masked', () => {
  const cases: [string, string][] = [
    ['Authorization: Bearer abc.def.ghi', 'Authorization: Bearer [redacted]'],
    ['authorization=Basic dXNlcjpwYXNz', 'authorization=Basic [redacted]'],
    ['{"Authorization":"token 123"}', '{"Authorization":"token [redacted]"}'],
    ['Proxy-Authorization: Digest abcdef', 'Proxy-Authorization: Digest [redacted]'],
    ['curl -H "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"', 'curl -H "Bearer [redacted]"'],
    ['GET /v1/items?access_token=abcd1234&page=2', 'GET /v1/items?access_token=[redacted]&page=2'],
    ['Server=db;User Id=sa;Password=hunter2;Encrypt=true', 'Server=db;User Id=sa;Password=[redacted];Encrypt=true'],
    ['run --api-key=sk_live_123 --verbose', 'run --api-key=[redacted] --verbose'],
  ]
  for (const [input, expected] of cases) assert.equal(redactSecrets(input), expected)
})

test('ordinary text is left alone, and masking twice changes nothing', () => {
  for (const text of [
    'config/app.yaml',
    'Unexpected token } in JSON at position 3',
    'the bearer of bad news',
    'https://example.com/a@b',
    'see https://example.com/docs#auth',
    'maxWaitMs = 1000',
    'user@example.com wrote this',
  ]) {
    assert.equal(redactSecrets(text), text)
  }
  const once = redactSecrets('postgres://u:p@h/db Authorization: Bearer abcdefghij ?token=x')
  assert.equal(redactSecrets(once), once)
  assert.ok(once.includes(REDACTED))
})

test('redactValue masks every string at any depth, copies only what changed, never mutates', () => {
  const untouched = { path: 'conf/a.json', line: 3 }
  const input = Object.freeze({
    type: 'rejected',
    problems: Object.freeze([Object.freeze({ message: 'cannot connect to mysql://root:toor@db/app' }), untouched]),
    nested: { deeper: [['Authorization: Bearer 0123456789abcdef']] },
    count: 2,
    flag: true,
    none: null,
  })
  const out = redactValue(input)
  assert.deepEqual(JSON.parse(JSON.stringify(out)), {
    type: 'rejected',
    problems: [{ message: 'cannot connect to mysql://[redacted]@db/app' }, untouched],
    nested: { deeper: [['Authorization: Bearer [redacted]']] },
    count: 2,
    flag: true,
    none: null,
  })
  assert.equal((input.problems[0] as { message: string }).message, 'cannot connect to mysql://root:toor@db/app')
  assert.equal(out.problems[1], untouched, 'a part without a secret is shared')
  const clean = { a: ['x', { b: 'y' }] }
  assert.equal(redactValue(clean), clean, 'nothing found: the value itself')
  const proto = JSON.parse('{"__proto__": "https://tok@h.example"}') as Record<string, unknown>
  assert.deepEqual(Object.keys(redactValue(proto)), ['__proto__'])
  assert.equal(redactValue(proto)['__proto__'], 'https://[redacted]@h.example')
})
