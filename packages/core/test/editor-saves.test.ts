import assert from 'node:assert/strict'
import { open, rename, rm, truncate, writeFile, mkdir } from 'node:fs/promises'
import { test } from 'node:test'
import { defineReloadHandler, type ChangeKind, type HotReload } from '@hotreload/core'
import { makeTempProject, waitFor } from '../../../test/helpers/index.js'
import { startInstance } from '../../../test/helpers/instance.js'
import { BACKENDS, type BackendCase } from './backends.js'

interface Applied {
  kind: ChangeKind
  path: string
  text: string | undefined
}

/** An instance with a handler that keeps each file's text and logs every change it applied. */
async function start(t: { after(fn: () => Promise<void>): void }, files: Record<string, string>, debounceMs: number, { watcher, usePolling }: BackendCase) {
  const project = await makeTempProject(files)
  const state = new Map<string, string>()
  const applied: Applied[] = []
  const handler = defineReloadHandler<string | undefined>({
    name: 'text',
    files: 'conf/**/*.json',
    async validate(change, ctx) {
      if (change.kind === 'deleted') return undefined
      const text = await ctx.readText()
      // A half-written JSON file fails to parse: it must be rejected, never applied.
      JSON.parse(text)
      return text
    },
    handleChange(change, ctx) {
      applied.push({ kind: change.kind, path: change.path, text: ctx.staged as string | undefined })
      if (change.from) state.delete(change.from)
      if (change.kind === 'deleted') state.delete(change.path)
      else state.set(change.path, ctx.staged as string)
    },
  })
  const { reloader, recorder: rec } = await startInstance(t, { project, include: ['conf/**/*.json'], debounceMs, watcher, usePolling, plugins: [handler] })
  t.after(() => project.cleanup())
  return { project, state, applied, reloader, rec }
}

const settle = (reloader: HotReload, expected: () => boolean, message: string) =>
  waitFor(() => expected() && !reloader.status().busy && reloader.status().pending.length === 0, { timeoutMs: 15_000, message })

for (const using of BACKENDS) {
  const mode = using.label

  test(`[${mode}] an editor's atomic save (write temp, rename over) is one modified change`, async (t) => {
    const { project, state, applied, reloader } = await start(t, { 'conf/a.json': '{"v":1}' }, 50, using)
    await writeFile(project.path('conf/.a.json.swx.tmp'), '{"v":2}')
    await rename(project.path('conf/.a.json.swx.tmp'), project.path('conf/a.json'))
    await settle(reloader, () => state.get('conf/a.json') === '{"v":2}', 'the new content applied')
    assert.deepEqual(applied.slice(1).map((a) => a.kind), ['modified'])
  })

  test(`[${mode}] a vim-style save (rename to backup~, write new, delete backup) has no spurious delete`, async (t) => {
    const { project, state, applied, reloader } = await start(t, { 'conf/a.json': '{"v":1}' }, 50, using)
    await rename(project.path('conf/a.json'), project.path('conf/a.json~'))
    await writeFile(project.path('conf/a.json'), '{"v":2}')
    await rm(project.path('conf/a.json~'))
    await settle(reloader, () => state.get('conf/a.json') === '{"v":2}', 'the new content applied')
    assert.ok(!applied.some((a) => a.kind === 'deleted'), JSON.stringify(applied))
  })

  test(`[${mode}] truncate-then-write never applies the empty or partial file, and ends with the final content`, async (t) => {
    const { project, state, applied, reloader } = await start(t, { 'conf/a.json': '{"v":1}' }, 20, using)
    const seen = reloader.status().counters.rawEvents
    await truncate(project.path('conf/a.json'), 0)
    // Let the watcher see the empty file on its own before the bytes arrive, as a slow writer would.
    await waitFor(() => reloader.status().counters.rawEvents > seen, { message: 'the truncation to be seen' })
    const handle = await open(project.path('conf/a.json'), 'r+')
    await handle.write('{"v":')
    await handle.write('2}')
    await handle.close()
    await settle(reloader, () => state.get('conf/a.json') === '{"v":2}', 'the final content applied')
    assert.deepEqual(new Set(applied.map((a) => a.text)), new Set(['{"v":1}', '{"v":2}']))
  })

  test(`[${mode}] a git checkout of 300 files ends with every final content applied, in a few transactions`, async (t) => {
    const files = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`conf/f${String(i).padStart(3, '0')}.json`, `{"i":${i},"rev":1}`]))
    const { project, state, reloader } = await start(t, files, 50, using)
    const before = reloader.status().counters.transactions
    await Promise.all(Object.keys(files).map((rel, i) => writeFile(project.path(rel), `{"i":${i},"rev":2}`)))
    await settle(reloader, () => [...state.values()].every((text) => text.endsWith('"rev":2}')), 'every file at rev 2')
    assert.equal(state.size, 300)
    const transactions = reloader.status().counters.transactions - before
    assert.ok(transactions >= 1 && transactions <= 10, `ran ${transactions} transactions for one checkout`)
  })

  test(`[${mode}] a directory deleted and re-created ends with the final content and no deletion applied`, async (t) => {
    // A long quiet period: the whole delete-and-recreate fits in one batch even on a busy machine.
    const { project, state, applied, reloader } = await start(t, { 'conf/sub/a.json': '{"v":1}', 'conf/sub/b.json': '{"v":1}' }, 500, using)
    await rm(project.path('conf/sub'), { recursive: true })
    await mkdir(project.path('conf/sub'))
    await writeFile(project.path('conf/sub/a.json'), '{"v":2}')
    await writeFile(project.path('conf/sub/b.json'), '{"v":1}')
    await settle(reloader, () => state.get('conf/sub/a.json') === '{"v":2}', 'a.json at v2')
    assert.equal(state.get('conf/sub/b.json'), '{"v":1}')
    assert.ok(!applied.some((a) => a.kind === 'deleted'), JSON.stringify(applied))
    // b.json came back with the same bytes: that is no change at all.
    assert.deepEqual(applied.slice(2).map((a) => `${a.kind} ${a.path}`), ['modified conf/sub/a.json'])
  })

  test(`[${mode}] files created after start, in directories created after start, are applied`, async (t) => {
    const { project, state, applied, reloader } = await start(t, {}, 50, using)
    await mkdir(project.path('conf/new/deeper'), { recursive: true })
    await writeFile(project.path('conf/new/deeper/x.json'), '{"x":1}')
    await settle(reloader, () => state.get('conf/new/deeper/x.json') === '{"x":1}', 'x.json applied')
    assert.deepEqual(applied.map((a) => a.kind), ['created'])
  })

  test(`[${mode}] a rename of a file is one renamed change with from, and a delete is a deleted change`, async (t) => {
    const { project, state, reloader, rec } = await start(t, { 'conf/a.json': '{"v":1}', 'conf/gone.json': '{}' }, 50, using)
    await rename(project.path('conf/a.json'), project.path('conf/b.json'))
    const renamed = await rec.next('applied', (e) => e.changes.some((c) => c.kind === 'renamed'))
    assert.deepEqual(renamed.changes, [{ kind: 'renamed', path: 'conf/b.json', from: 'conf/a.json' }])
    assert.deepEqual(renamed.paths, ['conf/a.json', 'conf/b.json'])
    await project.remove('conf/gone.json')
    await settle(reloader, () => !state.has('conf/gone.json'), 'gone.json removed')
    assert.deepEqual([...state.keys()], ['conf/b.json'])
  })

  test(`[${mode}] writing identical bytes or touching a file runs no transaction`, async (t) => {
    const { project, reloader } = await start(t, { 'conf/a.json': '{"v":1}' }, 10, using)
    const { utimes } = await import('node:fs/promises')
    const before = reloader.status().counters
    await writeFile(project.path('conf/a.json'), '{"v":1}')
    const later = new Date(Date.now() + 5000)
    await utimes(project.path('conf/a.json'), later, later)
    await waitFor(() => reloader.status().counters.suppressed >= before.suppressed + 1 && reloader.status().pending.length === 0, { message: 'the no-ops to be suppressed' })
    assert.equal(reloader.status().counters.transactions, before.transactions)
    assert.equal(reloader.status().version, 1)
  })
}
