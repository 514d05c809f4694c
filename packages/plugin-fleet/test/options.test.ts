import assert from 'node:assert/strict'
import { test } from 'node:test'
import { HotReloadError } from '@hotreload/core'
import { resolveFleetOptions, type FleetOptions } from '../src/options.js'

const base: FleetOptions = { role: 'member', redis: 'redis://127.0.0.1:6379' }

test('defaults: fleet "default", id from host and pid, lease 5 s renewed every third, vote deadline 10 s', () => {
  const o = resolveFleetOptions(base)
  assert.equal(o.fleet, 'default')
  assert.match(o.id, new RegExp(`-${process.pid}$`))
  assert.equal(o.leaseMs, 5000)
  assert.equal(o.heartbeatMs, 1666)
  assert.equal(o.voteTimeoutMs, 10_000)
  assert.deepEqual(o.target, {})
  assert.equal(o.branch, '')
})

test('a target names its branch after its labels, sorted', () => {
  assert.equal(resolveFleetOptions({ ...base, role: 'proposer', target: { zone: 'eu', canary: 'true' } }).branch, 'canary=true,zone=eu')
})

test('bad options are errors naming the option, and the input is not changed', () => {
  const cases: [unknown, RegExp][] = [
    [{ ...base, role: 'leader' }, /option "role" must be 'proposer' or 'member'/],
    [{ role: 'member' }, /option "redis" is required/],
    [{ ...base, fleet: 'a b' }, /option "fleet" must match pattern/],
    [{ ...base, labels: { canary: true } }, /option "labels.canary" must be string/],
    [{ ...base, leaseMs: 1000, heartbeatMs: 1000 }, /"heartbeatMs" \(1000\) must be shorter than "leaseMs"/],
    [{ ...base, voteTimeoutMs: -1 }, /option "voteTimeoutMs" must be >= 1/],
    [{ ...base, branch: 'x' }, /option "branch" needs a "target"/],
    [{ ...base, leaseMS: 1 }, /unknown option "leaseMS" \(did you mean "leaseMs"\?\)/],
  ]
  for (const [input, message] of cases) {
    const frozen = Object.freeze({ ...(input as object) })
    assert.throws(() => resolveFleetOptions(frozen as FleetOptions), (e: unknown) => e instanceof HotReloadError && (e.code === 'HR_FLEET_OPTIONS' || e.code === 'HR_OPTIONS') && message.test(e.message))
  }
})
