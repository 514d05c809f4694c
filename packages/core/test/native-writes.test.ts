import { test } from 'node:test'
import assert from 'node:assert/strict'
import { NativeWrites } from '../src/watchers/native-writes.js'

// The bookkeeping of native-writes.ts: chokidar's own event for a path whose native event was
// delivered is covered once; directory events make what is below them news again; the two
// reports inotify makes of one write (the directory's watch, the file's) pair up in their read.

test("chokidar's own event after a delivered native event is covered once, per path", (t) => {
  const writes = new NativeWrites()
  t.after(() => writes.clear())
  assert.equal(writes.covered('config/a.json'), false, 'nothing delivered yet')
  writes.delivered('config/a.json')
  writes.delivered('config/a.json')
  assert.equal(writes.covered('config/b.json'), false, 'another path')
  assert.equal(writes.covered('config/a.json'), true)
  assert.equal(writes.covered('config/a.json'), false, 'once: the next event of chokidar is news')
})

test('a directory added or removed makes the paths below it news, and only those', (t) => {
  const writes = new NativeWrites()
  t.after(() => writes.clear())
  for (const rel of ['static/a.css', 'static/sub/b.css', 'static-old/c.css', 'config/d.json']) writes.delivered(rel)
  writes.forgetUnder('static')
  assert.deepEqual(
    ['static/a.css', 'static/sub/b.css', 'static-old/c.css', 'config/d.json'].map((rel) => writes.covered(rel)),
    [false, false, true, true],
  )
  writes.delivered('config/d.json')
  writes.forgetUnder('')
  assert.equal(writes.covered('config/d.json'), false, 'the root: everything')
})

const nextPhase = () => new Promise<void>((resolve) => setImmediate(resolve))

test("one write, reported to the directory's watch and the file's, is delivered once, in either order", async (t) => {
  const writes = new NativeWrites()
  t.after(() => writes.clear())
  assert.equal(writes.partner('config/a.json', false), false, "the directory's event is delivered")
  assert.equal(writes.partner('config/a.json', true), true, "the file's event is its partner")
  await nextPhase()
  assert.equal(writes.partner('config/a.json', true), false, 'file first: delivered')
  assert.equal(writes.partner('config/a.json', false), true, 'and the directory event is the partner')
})

test('two writes in one read are two pairs; an event whose partner never came is forgotten with its phase', async (t) => {
  const writes = new NativeWrites()
  t.after(() => writes.clear())
  const order = [false, false, true, true].map((onFile) => writes.partner('config/a.json', onFile))
  assert.deepEqual(order, [false, false, true, true], 'two directory events delivered, then both partners skipped')
  assert.deepEqual([writes.partner('config/b.json', false), writes.partner('config/b.json', true), writes.partner('config/b.json', false)], [false, true, false])
  // b's second directory event had no partner in its read. A write through a hard link in
  // another directory reaches only the file's watch, later: it must be delivered.
  await nextPhase()
  assert.equal(writes.partner('config/b.json', true), false)
  assert.equal(writes.partner('config/c.json', true), false, 'other paths are unaffected')
})
