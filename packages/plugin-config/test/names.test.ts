// Issue 12: config names come from file names, so `__proto__`, `constructor` and `prototype`
// are names like any other (the keys inside a config stay refused: see safety.test.ts).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startConfigs } from './setup.js'

test('configs named __proto__, constructor and prototype load, are listed, read and watched', async (t) => {
  const { configs, events } = await startConfigs(t, {
    'config/__proto__.json': '{ "a": 1 }',
    'config/constructor.yaml': 'b: 2\n',
    'config/prototype.toml': 'c = 3\n',
    'config/nested/__proto__.yaml': 'd: 4\n',
  })
  assert.deepEqual(configs.names(), ['__proto__', 'constructor', 'nested/__proto__', 'prototype'])
  assert.deepEqual(configs.get('__proto__'), { a: 1 })
  assert.deepEqual(configs.get('constructor'), { b: 2 })
  assert.deepEqual(configs.get('prototype'), { c: 3 })
  assert.deepEqual(configs.get('nested/__proto__'), { d: 4 })
  assert.ok(configs.has('__proto__') && !configs.has('toString'))
  assert.throws(() => configs.get('toString'), /config "toString" is not loaded/)
  assert.deepEqual(configs.watch('constructor').current, { b: 2 })
  const changed = events.filter((e) => e.type === 'config:changed').map((e) => (e as { name: string }).name).sort()
  assert.deepEqual(changed, ['__proto__', 'constructor', 'nested/__proto__', 'prototype'])
})

test('keys named __proto__, constructor and prototype stay refused, and nothing reaches Object.prototype', async (t) => {
  const { configs: other, reloader } = await startConfigs(t, {
    'config/app.json': '{ "__proto__": { "polluted": true }, "constructor": { "prototype": { "x": 1 } } }',
    'config/ok.yaml': 'list:\n  - prototype: 1\n',
  })
  const last = reloader.status().last
  assert.equal(last?.status, 'rejected')
  assert.deepEqual(
    last?.problems.map((p) => [p.code, p.keyPath, p.line, p.column]),
    [
      ['HR_CONFIG_UNSAFE_KEY', '__proto__', 1, 3],
      ['HR_CONFIG_UNSAFE_KEY', 'constructor', 1, 38],
      ['HR_CONFIG_UNSAFE_KEY', 'list.0.prototype', 2, 5],
    ],
  )
  assert.equal(other.has('app') || other.has('ok'), false)
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined)
})
