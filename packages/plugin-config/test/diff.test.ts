import assert from 'node:assert/strict'
import { test } from 'node:test'
import { diffTouches, diffValues, type DiffEntry } from '../src/diff.js'
import { compileKeyPatterns } from '../src/key-path.js'

const brief = (diff: readonly DiffEntry[]) => diff.map((e) => [e.kind, e.path, e.oldValue, e.newValue])

test('added, removed and changed keys with their key paths and values', () => {
  const diff = diffValues({ a: 1, b: { c: 2, d: 3 }, e: 'x' }, { a: 1, b: { c: 20 }, f: true, e: 'x' })
  assert.deepEqual(brief(diff), [
    ['changed', 'b.c', 2, 20],
    ['removed', 'b.d', 3, undefined],
    ['added', 'f', undefined, true],
  ])
  const removed = diff.find((e) => e.kind === 'removed')
  assert.ok(removed && !('newValue' in removed))
  const added = diff.find((e) => e.kind === 'added')
  assert.ok(added && !('oldValue' in added))
  assert.deepEqual(diff[0]?.keys, ['b', 'c'])
})

test('key order alone is not a change', () => {
  assert.deepEqual(diffValues({ a: 1, b: { x: 1, y: 2 } }, { b: { y: 2, x: 1 }, a: 1 }), [])
})

test('null versus 0, "1" versus 1, false versus 0 are changes; NaN equals NaN', () => {
  assert.deepEqual(brief(diffValues({ a: null, b: '1', c: false, d: NaN }, { a: 0, b: 1, c: 0, d: NaN })), [
    ['changed', 'a', null, 0],
    ['changed', 'b', '1', 1],
    ['changed', 'c', false, 0],
  ])
})

test('an object replaced by a primitive or an array, and back, is one change at that path', () => {
  assert.deepEqual(brief(diffValues({ db: { host: 'x' } }, { db: 'postgres://x' })), [['changed', 'db', { host: 'x' }, 'postgres://x']])
  assert.deepEqual(brief(diffValues({ db: 'x' }, { db: { host: 'x' } })), [['changed', 'db', 'x', { host: 'x' }]])
  assert.deepEqual(brief(diffValues({ list: { 0: 'a' } }, { list: ['a'] })), [['changed', 'list', { 0: 'a' }, ['a']]])
})

test('arrays are compared index by index: changed items, an added tail, a removed tail', () => {
  assert.deepEqual(brief(diffValues({ s: ['a', 'b', 'c'] }, { s: ['a', 'B'] })), [
    ['changed', 's.1', 'b', 'B'],
    ['removed', 's.2', 'c', undefined],
  ])
  assert.deepEqual(brief(diffValues({ s: [{ port: 1 }] }, { s: [{ port: 2 }, { port: 3 }] })), [
    ['changed', 's.0.port', 1, 2],
    ['added', 's.1', undefined, { port: 3 }],
  ])
})

test('a nested removal is one entry carrying the whole removed object', () => {
  assert.deepEqual(brief(diffValues({ a: { b: { c: { d: 1 } }, keep: 1 } }, { a: { keep: 1 } })), [['removed', 'a.b', { c: { d: 1 } }, undefined]])
})

test('a config appearing or disappearing adds or removes each top-level key', () => {
  assert.deepEqual(brief(diffValues(undefined, { a: 1, b: { c: 2 } })), [
    ['added', 'a', undefined, 1],
    ['added', 'b', undefined, { c: 2 }],
  ])
  assert.deepEqual(brief(diffValues({ a: 1 }, undefined)), [['removed', 'a', 1, undefined]])
})

test('a key pattern is touched by a change at it, below it, or above it', () => {
  const pool = compileKeyPatterns('db.pool.*')
  assert.equal(diffTouches(diffValues({ db: { pool: { max: 1 } } }, { db: { pool: { max: 2 } } }), pool), true)
  assert.equal(diffTouches(diffValues({ db: { pool: { max: 1 }, host: 'a' } }, { db: { pool: { max: 1 }, host: 'b' } }), pool), false)
  // The whole `db` replaced by a string removes db.pool.max.
  assert.equal(diffTouches(diffValues({ db: { pool: { max: 1 } } }, { db: 'x' }), pool), true)
  // A change deep below the pattern's match counts for it.
  assert.equal(diffTouches(diffValues({ db: { pool: { opts: { a: 1 } } } }, { db: { pool: { opts: { a: 2 } } } }), pool), true)
  const exact = compileKeyPatterns(['server.port'])
  assert.equal(diffTouches(diffValues({ server: { port: 1, host: 'a' } }, { server: { port: 1, host: 'b' } }), exact), false)
  assert.equal(diffTouches(diffValues({ server: { port: 1 } }, { server: { port: 2 } }), exact), true)
  const anyDepth = compileKeyPatterns('features.**')
  assert.equal(diffTouches(diffValues({ features: { a: { b: 1 } } }, { features: { a: { b: 2 } } }), anyDepth), true)
})
