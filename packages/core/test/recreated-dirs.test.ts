import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { setTimeout as delay } from 'node:timers/promises'
import { createHotReload, defineReloadHandler } from '@hotreload/core'
import { makeTempProject, waitFor, waitForWatchHandles, watchHandles } from '../../../test/helpers/index.js'
import { startInstance } from '../../../test/helpers/instance.js'
import { BACKENDS } from './backends.js'

const ROUNDS = 20
const NAMES = ['static/a.css', 'static/sub/a.css', 'static/b.css', 'static/sub/b.css', 'static/c.css', 'static/sub/c.css']

for (const { label, watcher, usePolling } of BACKENDS) {
  test(`[${label}] a directory and a nested one, deleted and re-created ${ROUNDS} times, are watched again: files written at once, after 50 ms and after 1 s are all applied; close() leaves no watch handle`, async (t) => {
    const state = new Map<string, string>()
    const handler = defineReloadHandler<string | undefined>({
      name: 'text',
      files: 'static/**/*.css',
      async validate(change, ctx) {
        return change.kind === 'deleted' ? undefined : ctx.readText()
      },
      handleChange(change, ctx) {
        if (change.from) state.delete(change.from)
        if (change.kind === 'deleted') state.delete(change.path)
        else state.set(change.path, ctx.staged as string)
      },
    })
    const handlesBefore = watchHandles()
    const { project, reloader } = await startInstance(t, {
      files: { 'static/a.css': 'a', 'static/sub/a.css': 'sub a' },
      include: ['static/**/*.css'],
      watcher,
      usePolling,
      plugins: [handler],
    })
    const failed: string[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const content = (rel: string) => `${rel} ${round}`
      const write = (rel: string) => writeFile(project.path(rel), content(rel))
      // The watched directory and everything in it go, and come back with a new subdirectory.
      await rm(project.path('static'), { recursive: true })
      await mkdir(project.path('static/sub'), { recursive: true })
      await write('static/a.css')
      await write('static/sub/a.css')
      await delay(50)
      // The nested directory goes and comes back inside the re-created one.
      await rm(project.path('static/sub'), { recursive: true })
      await mkdir(project.path('static/sub'))
      await write('static/sub/a.css')
      await write('static/b.css')
      await write('static/sub/b.css')
      await delay(1000)
      await write('static/c.css')
      await write('static/sub/c.css')
      const done = () => NAMES.every((rel) => state.get(rel) === content(rel)) && state.size === NAMES.length
      try {
        await waitFor(() => done() && !reloader.status().busy && reloader.status().pending.length === 0, { timeoutMs: 10_000, message: `round ${round}` })
      } catch {
        const missing = NAMES.filter((rel) => state.get(rel) !== content(rel))
        failed.push(`round ${round}: ${missing.join(', ')} not applied (have: ${JSON.stringify(Object.fromEntries(state))})`)
      }
    }
    // The watchers of every re-created directory are closed with the instance (an overlay left
    // open holds an fs.watch handle, and the process never exits).
    await reloader.close()
    await waitForWatchHandles(handlesBefore, `[${label}] after ${ROUNDS} re-creations, the watcher`)
    assert.deepEqual(failed, [], `${ROUNDS - failed.length} of ${ROUNDS} rounds passed`)
  })

  // Closing while the watcher of a re-created directory is still starting (its scan in flight)
  // or just after it started: chokidar closed mid-scan still opens the watches of that scan.
  for (const afterMs of [0, 10, 40, 150]) {
    test(`[${label}] close() ${afterMs} ms after a directory was re-created leaves no watch handle`, async (t) => {
      const project = await makeTempProject({ 'static/a.css': 'a', 'static/sub/a.css': 'sub a' })
      t.after(() => project.cleanup())
      const before = watchHandles()
      const reloader = await createHotReload({ root: project.root, include: ['static/**/*.css'], watcher, usePolling, debounceMs: 10 })
      await rm(project.path('static'), { recursive: true })
      await mkdir(project.path('static/sub'), { recursive: true })
      await writeFile(project.path('static/sub/b.css'), 'b')
      await delay(afterMs)
      await reloader.close()
      await waitForWatchHandles(before, `[${label}] closed ${afterMs} ms after a re-creation, the watcher`)
      assert.equal(reloader.status().closed, true)
    })
  }
}
