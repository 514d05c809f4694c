import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { test } from 'node:test'
import { createHotReload, type HotReloadEvent, type LoadProgress } from '@hotreload/core'
import { makeTempProject } from '../../../test/helpers/index.js'

const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`conf/f${i}.txt`, `file ${i}`]))

test('onLoadProgress: 0 of N first, N of N last, rising in between, at most once per 100 ms', async (t) => {
  const project = await makeTempProject(many(1500))
  t.after(() => project.cleanup())
  const calls: { progress: LoadProgress; at: number; applied: boolean }[] = []
  let applied = false
  const reloader = await createHotReload({
    root: project.root,
    include: ['conf/**'],
    watch: false,
    onEvent: (e) => void (e.type === 'applied' && (applied = true)),
    onLoadProgress: (progress) => calls.push({ progress, at: performance.now(), applied }),
  })
  t.after(() => reloader.close())
  assert.equal(reloader.status().files, 1500)
  assert.deepEqual(calls[0]?.progress, { done: 0, total: 1500 })
  assert.deepEqual(calls.at(-1)?.progress, { done: 1500, total: 1500 })
  assert.equal(calls.filter((c) => c.progress.done === 1500).length, 1, 'the last call comes once')
  assert.ok(calls.every((c) => c.progress.total === 1500 && !c.applied), 'all reported while reading, before the outcome')
  for (let i = 1; i < calls.length; i++) {
    const [before, now] = [calls[i - 1], calls[i]]
    assert.ok(before && now && now.progress.done > before.progress.done, 'done rises')
    // The throttle: reports in between come 100 ms apart at the least (a busy machine only widens it).
    if (i < calls.length - 1) assert.ok(now.at - before.at >= 99, `call ${i} came ${now.at - before.at} ms after the one before`)
  }

  // Later transactions report no progress.
  const count = calls.length
  await project.write('conf/f1.txt', 'changed')
  await reloader.reload()
  assert.equal(calls.length, count)
})

test('onLoadProgress with no files: one call, 0 of 0', async (t) => {
  const project = await makeTempProject({})
  t.after(() => project.cleanup())
  const calls: LoadProgress[] = []
  const reloader = await createHotReload({ root: project.root, include: ['conf/**'], watch: false, onLoadProgress: (p) => calls.push(p) })
  t.after(() => reloader.close())
  assert.deepEqual(calls, [{ done: 0, total: 0 }])
})

test('an onLoadProgress listener that throws is an error event, is not called again, and the load applies', async (t) => {
  const project = await makeTempProject(many(20))
  t.after(() => project.cleanup())
  const events: HotReloadEvent[] = []
  let calls = 0
  const reloader = await createHotReload({
    root: project.root,
    include: ['conf/**'],
    watch: false,
    onEvent: (e) => events.push(e),
    onLoadProgress: () => {
      calls++
      throw new Error('display broke')
    },
  })
  t.after(() => reloader.close())
  assert.equal(calls, 1)
  const error = events.find((e) => e.type === 'error')
  assert.ok(error?.type === 'error')
  assert.match(error.error.message, /the onLoadProgress listener threw: display broke/)
  assert.equal(events.find((e) => e.type === 'applied')?.version, 1)
  assert.equal(reloader.status().files, 20)
})
