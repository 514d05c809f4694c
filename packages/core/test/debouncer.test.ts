import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createDebouncer } from '../src/debouncer.js'
import { waitFor } from '../../../test/helpers/index.js'

function recorder() {
  const batches: string[][] = []
  return { batches, onFlush: (paths: string[]) => void batches.push(paths) }
}

test('paths added together flush as one batch, each path once, in first-seen order', async (t) => {
  const r = recorder()
  const d = createDebouncer({ debounceMs: 20, maxWaitMs: 5000, onFlush: r.onFlush })
  t.after(() => d.close())
  for (const p of ['b.json', 'a.json', 'b.json', 'c.json', 'a.json']) d.add(p)
  assert.deepEqual(d.pending(), ['b.json', 'a.json', 'c.json'])
  await waitFor(() => r.batches.length === 1, { message: 'one batch' })
  assert.deepEqual(r.batches, [['b.json', 'a.json', 'c.json']])
  assert.deepEqual(d.pending(), [])
})

test('debounceMs 0 batches everything added in the same turn and flushes on the next macrotask', async (t) => {
  const r = recorder()
  const d = createDebouncer({ debounceMs: 0, maxWaitMs: 0, onFlush: r.onFlush })
  t.after(() => d.close())
  d.add('a')
  d.add('b')
  assert.equal(r.batches.length, 0, 'nothing flushes synchronously')
  await waitFor(() => r.batches.length === 1, { message: 'the batch' })
  d.add('c')
  await waitFor(() => r.batches.length === 2, { message: 'the second batch' })
  assert.deepEqual(r.batches, [['a', 'b'], ['c']])
})

test('a path added continuously still flushes, at least twice over 1.5 s with maxWaitMs 400', async (t) => {
  const r = recorder()
  const d = createDebouncer({ debounceMs: 100, maxWaitMs: 400, onFlush: r.onFlush })
  t.after(() => d.close())
  const started = Date.now()
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      d.add('config/stream.json')
      if (Date.now() - started >= 1500) {
        clearInterval(timer)
        resolve()
      }
    }, 10)
  })
  const flushedWhileWriting = r.batches.length
  assert.ok(flushedWhileWriting >= 2, `expected at least 2 flushes while writing, got ${flushedWhileWriting}`)
  await waitFor(() => d.pending().length === 0, { message: 'the trailing flush' })
  assert.ok(r.batches.every((b) => b.length === 1 && b[0] === 'config/stream.json'))
})

test('maxWaitMs equal to debounceMs still bounds a batch that keeps growing', async (t) => {
  const r = recorder()
  const d = createDebouncer({ debounceMs: 80, maxWaitMs: 80, onFlush: r.onFlush })
  t.after(() => d.close())
  let i = 0
  const timer = setInterval(() => d.add(`p${i++}`), 10)
  t.after(() => clearInterval(timer))
  await waitFor(() => r.batches.length >= 2, { message: 'two batches while adds continue' })
  clearInterval(timer)
  assert.ok(r.batches.every((b) => b.length > 0))
})

test('flushNow returns the pending paths without calling onFlush, and cancels the timers', async (t) => {
  const r = recorder()
  const d = createDebouncer({ debounceMs: 10, maxWaitMs: 50, onFlush: r.onFlush })
  t.after(() => d.close())
  d.add('x')
  d.add('y')
  assert.deepEqual(d.flushNow(), ['x', 'y'])
  assert.deepEqual(d.flushNow(), [])
  d.add('z')
  await waitFor(() => r.batches.length === 1, { message: 'the batch after flushNow' })
  assert.deepEqual(r.batches, [['z']], 'x and y were never delivered by the timers')
})

test('close() drops the pending batch, stops the timers and ignores later adds', async () => {
  const r = recorder()
  const d = createDebouncer({ debounceMs: 10, maxWaitMs: 20, onFlush: r.onFlush })
  d.add('a')
  d.close()
  d.close()
  d.add('b')
  assert.deepEqual(d.pending(), [])
  // A later debouncer's flush proves the event loop moved well past the closed one's timers.
  const later = recorder()
  const probe = createDebouncer({ debounceMs: 40, maxWaitMs: 40, onFlush: later.onFlush })
  probe.add('probe')
  await waitFor(() => later.batches.length === 1, { message: 'the probe batch' })
  probe.close()
  assert.deepEqual(r.batches, [])
})

test('an error thrown by onFlush goes to onError and the debouncer keeps working', async (t) => {
  const errors: unknown[] = []
  const batches: string[][] = []
  const d = createDebouncer({
    debounceMs: 5,
    maxWaitMs: 50,
    onFlush: (paths) => {
      batches.push(paths)
      if (paths.includes('bad')) throw new Error('listener failed')
    },
    onError: (error) => errors.push(error),
  })
  t.after(() => d.close())
  d.add('bad')
  await waitFor(() => errors.length === 1, { message: 'the reported error' })
  assert.match((errors[0] as Error).message, /listener failed/)
  d.add('good')
  await waitFor(() => batches.length === 2, { message: 'the next batch' })
  assert.deepEqual(batches, [['bad'], ['good']])
})
