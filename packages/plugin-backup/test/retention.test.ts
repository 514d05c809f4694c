import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { BackupRecord } from '../src/types.js'
import { hasLimits, planRetention } from '../src/retention.js'

const HOUR = 3_600_000
const now = Date.parse('2026-01-10T12:00:00.000Z')

function rec(path: string, version: number, hoursAgo: number, hash: string, size = 100): BackupRecord {
  return { version, path, kind: 'modified', time: new Date(now - hoursAgo * HOUR).toISOString(), hash: hash.repeat(64).slice(0, 64), size }
}

test('no limits keep everything', () => {
  const records = [rec('a', 1, 5, 'a'), rec('a', 2, 4, 'b')]
  assert.equal(hasLimits({}), false)
  assert.deepEqual(planRetention(records, {}, { now }), { keep: records, drop: [] })
})

test('keepVersions keeps the newest N per file', () => {
  const records = [rec('a', 1, 5, '1'), rec('b', 2, 4, '2'), rec('a', 3, 3, '3'), rec('a', 4, 2, '4'), rec('b', 5, 1, '5')]
  const plan = planRetention(records, { keepVersions: 2 }, { now })
  assert.deepEqual(
    plan.keep.map((r) => `${r.path}@${r.version}`),
    ['b@2', 'a@3', 'a@4', 'b@5'],
  )
  assert.deepEqual(plan.drop.map((r) => `${r.path}@${r.version}`), ['a@1'])
  assert.deepEqual(planRetention(records, { keepVersions: 1 }, { now }).keep.map((r) => r.version), [4, 5])
})

test('maxAgeMs drops old backups but never the newest backup of a file', () => {
  const records = [rec('a', 1, 100, '1'), rec('a', 2, 50, '2'), rec('b', 3, 90, '3'), rec('a', 4, 1, '4')]
  const plan = planRetention(records, { maxAgeMs: 24 * HOUR }, { now })
  assert.deepEqual(plan.keep.map((r) => r.version), [3, 4], 'b@3 is old but the only backup of b')
  assert.deepEqual(plan.drop.map((r) => r.version), [1, 2])
})

test('maxTotalBytes drops the oldest first, counting each content once and sparing live content', () => {
  const records = [
    rec('a', 1, 10, '1', 400),
    rec('b', 2, 9, '2', 300),
    rec('a', 3, 8, '1', 400), // same content as a@1: costs nothing extra
    rec('a', 4, 7, '4', 200),
    rec('b', 5, 6, '5', 100),
  ]
  // Distinct: 1(400) + 2(300) + 4(200) + 5(100) = 1000.
  const plan = planRetention(records, { maxTotalBytes: 600 }, { now })
  // a@1 dropped frees nothing (a@3 keeps '1'), b@2 frees 300 -> 700, a@3 frees 400 -> 300.
  assert.deepEqual(plan.drop.map((r) => r.version), [1, 2, 3])
  assert.deepEqual(plan.keep.map((r) => r.version), [4, 5])

  const live = new Set(['1'.repeat(64)])
  const sparing = planRetention(records, { maxTotalBytes: 600 }, { now, live })
  // Without '1' the total is 600 already.
  assert.deepEqual(sparing.drop, [])
})

test('maxTotalBytes of 0 still keeps the newest backup of every file', () => {
  const records = [rec('a', 1, 3, '1'), rec('b', 2, 2, '2'), rec('a', 3, 1, '3')]
  const plan = planRetention(records, { maxTotalBytes: 0, keepVersions: 1, maxAgeMs: 0 }, { now })
  assert.deepEqual(plan.keep.map((r) => `${r.path}@${r.version}`), ['b@2', 'a@3'])
})
