// What the local-files source reads (issue 11: files no plugin reads are taken in by their
// listing at start and fingerprinted by stat after it;
// issue 12: a file over a plugin's size limit is refused by its size, never read).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { statSync } from 'node:fs'
import { rename, truncate } from 'node:fs/promises'
import { FileState } from '../src/file-state.js'
import { createPathMatcher } from '../src/path-matcher.js'
import { DEFAULT_IGNORE, DEFAULT_INCLUDE } from '../src/options.js'
import { ReadNeedsRegistry } from '../src/read-needs.js'
import { createHotReload } from '../src/kernel.js'
import type { Plugin } from '../src/plugin.js'
import type { FileChange, Fingerprint } from '../src/changes.js'
import { LISTED } from '../src/read-probe.js'
import { makeTempProject, waitFor } from '../../../test/helpers/index.js'

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

async function setup(t: { after(fn: () => Promise<void>): void }, files: Record<string, string>, claim: (reads: ReadNeedsRegistry) => void, options: { listingSlackMs?: number } = {}) {
  const project = await makeTempProject(files)
  t.after(() => project.cleanup())
  const reads = new ReadNeedsRegistry()
  claim(reads)
  const state = new FileState(project.root, createPathMatcher(project.root, DEFAULT_INCLUDE, DEFAULT_IGNORE), { needs: (rel) => reads.needs(rel), ...options })
  t.after(async () => state.stop())
  return { project, state }
}

/** Resolves once the background stat (listed-stats.ts) has replaced `rel`'s `LISTED` entry. */
function untilStated(state: FileState, rel: string): Promise<Fingerprint> {
  return waitFor(
    () => {
      const entry = state.baseline().get(rel)
      return entry !== LISTED ? entry : undefined
    },
    { timeoutMs: 5000, message: `the stat of ${rel}` },
  )
}

test('a claimed file is hashed at once; an unclaimed one is taken in by its listing, stat\'ed after the commit, and read() returns its bytes', async (t) => {
  const { state } = await setup(t, { 'config/app.json': '{"a":1}', 'static/logo.svg': '<svg/>' }, (reads) => void reads.add(['config/**']))
  const { changes } = await state.reconcile(await state.scan())
  const byPath = new Map(changes.map((c) => [c.path, c]))
  assert.equal(byPath.get('config/app.json')?.fingerprint?.hash, sha256('{"a":1}'))
  const lazy = byPath.get('static/logo.svg') as FileChange
  assert.equal(lazy.fingerprint, LISTED)
  assert.equal((await state.read(lazy)).toString(), '<svg/>')
  state.commit(changes)
  assert.match((await untilStated(state, 'static/logo.svg')).hash, /^stat:6:/)
  assert.equal(state.baseline().get('config/app.json')?.hash, sha256('{"a":1}'))
})

test('stop() ends the background stats: what is still listed stays so, and nothing is left scheduled', async (t) => {
  const { state } = await setup(t, { 'static/a.txt': 'a' }, () => undefined)
  const { changes } = await state.reconcile(await state.scan())
  state.commit(changes)
  state.stop()
  state.stop()
  assert.equal(state.baseline().get('static/a.txt'), LISTED)
  assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length, 0)
})

test('an unclaimed file rewritten after it was stat\'ed is not served as the fingerprinted bytes', async (t) => {
  const { project, state } = await setup(t, { 'static/a.txt': 'one' }, () => undefined)
  const initial = await state.reconcile(await state.scan())
  state.commit(initial.changes)
  const stated = await untilStated(state, 'static/a.txt')
  const change: FileChange = { kind: 'modified', path: 'static/a.txt', absolutePath: project.path('static/a.txt'), fingerprint: stated, previous: stated }
  assert.equal((await state.read(change)).toString(), 'one')
  await project.write('static/a.txt', 'three')
  await assert.rejects(state.read(change), (error: Error & { code?: string }) => error.code === 'HR_FILE_CHANGED' && error.message.includes('static/a.txt'))
})

test('an unclaimed file moved keeps its size and mtime: once stat\'ed, the move pairs as a rename', async (t) => {
  const { project, state } = await setup(t, { 'static/a.txt': 'content' }, () => undefined)
  const initial = await state.reconcile(await state.scan())
  state.commit(initial.changes)
  state.release()
  await untilStated(state, 'static/a.txt')
  await rename(project.path('static/a.txt'), project.path('static/b.txt'))
  const { changes } = await state.reconcile(['static/a.txt', 'static/b.txt'])
  assert.deepEqual(changes.map((c) => `${c.kind} ${c.from ?? ''} -> ${c.path}`), ['renamed static/a.txt -> static/b.txt'])
})

test('an unclaimed file moved before its stat: a deletion and a creation, not lost', async (t) => {
  const { project, state } = await setup(t, { 'static/a.txt': 'content' }, () => undefined)
  const initial = await state.reconcile(await state.scan())
  state.commit(initial.changes)
  state.stop()
  await rename(project.path('static/a.txt'), project.path('static/b.txt'))
  const { changes } = await state.reconcile(['static/a.txt', 'static/b.txt'])
  assert.deepEqual(changes.map((c) => `${c.kind} ${c.from ?? ''} -> ${c.path}`), ['deleted  -> static/a.txt', 'created  -> static/b.txt'])
  assert.equal(changes[0]?.previous, LISTED)
})

test('an unclaimed file is hashed at its first change: then the same bytes again, or a re-listing with its stat unchanged, is no change', async (t) => {
  const { project, state } = await setup(t, { 'static/a.txt': 'one', 'static/b.txt': 'bee' }, () => undefined, { listingSlackMs: 0 })
  const initial = await state.reconcile(await state.scan())
  state.commit(initial.changes)
  state.release()
  await untilStated(state, 'static/a.txt')
  await untilStated(state, 'static/b.txt')
  // Re-listed (an addDir, a relist) with nothing touched: the stat fingerprint still holds.
  const relisted = await state.reconcile(['static/a.txt', 'static/b.txt'])
  assert.deepEqual(relisted.changes, [])
  assert.equal(state.baseline().get('static/b.txt')?.hash, sha256('bee'), 'the unchanged file now has its content hash')
  await project.write('static/a.txt', 'two')
  const first = await state.reconcile(['static/a.txt'])
  assert.deepEqual(first.changes.map((c) => [c.kind, c.fingerprint?.hash]), [['modified', sha256('two')]])
  state.commit(first.changes)
  state.release()
  // The same bytes written again move the mtime only: not a change any more.
  await project.write('static/a.txt', 'two')
  const again = await state.reconcile(['static/a.txt'])
  assert.deepEqual(again.changes, [])
  assert.deepEqual(again.noops, ['static/a.txt'])
})

test('an unclaimed file before its stat, or changed since its listing, counts any event as a change; an older one does not', async (t) => {
  // listingSlackMs 50: a ctime more than 50 ms before the listing is trusted (the kernel stamps
  // ctime from a clock that may run a tick behind), so the files setup wrote, once that old,
  // are settled when stat'ed, and a file written after the listing is not.
  const { project, state } = await setup(t, { 'static/old.txt': 'old', 'static/new.txt': 'new', 'static/early.txt': 'early' }, () => undefined, { listingSlackMs: 50 })
  await waitFor(() => Date.now() - statSync(project.path('static/new.txt')).ctimeMs > 100, { message: 'the files to be 100 ms old' })
  const initial = await state.reconcile(await state.scan())
  // Changed after the listing, before the stat (its event still on the way): the stat taken
  // then is of the new state (same size), so it must not make that event a no-op.
  await project.write('static/new.txt', 'NEW')
  state.commit(initial.changes)
  // Before its stat (taken on a later turn of the event loop): an event on a listed file is a
  // change, its size and mtime being unknown.
  const beforeStat = await state.reconcile(['static/early.txt'])
  assert.deepEqual(beforeStat.changes.map((c) => [c.kind, c.path]), [['modified', 'static/early.txt']])
  await untilStated(state, 'static/old.txt')
  await untilStated(state, 'static/new.txt')
  const events = await state.reconcile(['static/old.txt', 'static/new.txt'])
  assert.deepEqual(events.changes.map((c) => [c.kind, c.path]), [['modified', 'static/new.txt']])
  assert.deepEqual(events.noops, ['static/old.txt'])
  state.commit(events.changes)
  // Once that change is taken in, the file is like any other.
  const again = await state.reconcile(['static/new.txt'])
  assert.deepEqual(again.changes, [])
})

test('a file over a claim\'s maxFileBytes is fingerprinted by stat, never read, and read() rejects naming the file and the limit', async (t) => {
  const { project, state } = await setup(t, { 'config/app.json': '{}' }, (reads) => void reads.add(['config/**'], 1024))
  // 20 MiB, sparse: reading it would cost the memory the limit is there to save.
  await truncate(project.path('config/app.json'), 20 * 1024 * 1024)
  const rssBefore = process.memoryUsage().rss
  const { changes } = await state.reconcile(await state.scan())
  const [change] = changes
  assert.equal(change?.fingerprint?.size, 20 * 1024 * 1024)
  assert.match(change?.fingerprint?.hash ?? '', /^stat:/)
  await assert.rejects(state.read(change as FileChange), (error: Error & { code?: string; path?: string }) => {
    assert.equal(error.code, 'HR_FILE_TOO_LARGE')
    assert.equal(error.path, 'config/app.json')
    assert.match(error.message, /config\/app\.json is 20971520 bytes, over the 1024-byte limit/)
    return true
  })
  // Not a timing assertion: a file read whole would add its 20 MiB.
  assert.ok(process.memoryUsage().rss - rssBefore < 16 * 1024 * 1024)
})

test('kernel.claimFiles({ maxFileBytes }): the plugin sees the size of an oversized file and tx.read() rejects with HR_FILE_TOO_LARGE', async (t) => {
  const project = await makeTempProject({ 'config/big.json': 'x'.repeat(5000), 'config/small.json': '{}' })
  t.after(() => project.cleanup())
  const seen: string[] = []
  const plugin: Plugin = {
    name: 'sized',
    apply(kernel) {
      kernel.claimFiles('sized', 'config/**', undefined, { maxFileBytes: 100 })
      kernel.hooks.validate.tapPromise('sized', async (tx) => {
        for (const change of tx.claimed('sized')) {
          try {
            seen.push(`${change.path}:${(await tx.read(change)).length}`)
          } catch (error) {
            seen.push(`${change.path}:${(error as { code?: string }).code ?? ''}:${change.fingerprint?.size ?? -1}`)
          }
        }
      })
    },
  }
  const reloader = await createHotReload({ root: project.root, watch: false, plugins: [plugin] })
  t.after(() => reloader.close())
  assert.deepEqual(seen.sort(), ['config/big.json:HR_FILE_TOO_LARGE:5000', 'config/small.json:2'])
})

test("kernel.claimFiles({ fingerprint: 'stat' }): claimed files are fingerprinted by stat and read on demand, unless another plugin claims their content", async (t) => {
  const project = await makeTempProject({ 'static/a.css': 'a{}', 'static/shared.css': 'b{}' })
  t.after(() => project.cleanup())
  const seen = new Map<string, string>()
  const claimer = (name: string, globs: string, fingerprint: 'content' | 'stat'): Plugin => ({
    name,
    apply(kernel) {
      kernel.claimFiles(name, globs, undefined, { fingerprint })
      kernel.hooks.validate.tapPromise(name, async (tx) => {
        for (const change of tx.claimed(name)) seen.set(`${name}:${change.path}`, `${change.fingerprint?.hash ?? ''}=${(await tx.read(change)).toString()}`)
      })
    },
  })
  const reloader = await createHotReload({
    root: project.root,
    watch: false,
    plugins: [claimer('by-stat', 'static/**', 'stat'), claimer('by-content', 'static/shared.css', 'content')],
  })
  t.after(() => reloader.close())
  assert.match(seen.get('by-stat:static/a.css') ?? '', /^stat:3:[\d.]+=a\{\}$/)
  // Another plugin needs the bytes of shared.css: the core reads and hashes it for both.
  assert.equal(seen.get('by-stat:static/shared.css'), `${sha256('b{}')}=b{}`)
  assert.equal(seen.get('by-content:static/shared.css'), `${sha256('b{}')}=b{}`)
  // A move keeps size and mtime: it pairs as a rename by stat.
  await rename(project.path('static/a.css'), project.path('static/moved.css'))
  const record = await reloader.reload()
  assert.deepEqual(record.changes, [{ kind: 'renamed', path: 'static/moved.css', from: 'static/a.css' }])
  // Changed after the initial load, it is still fingerprinted by stat: the claiming plugin
  // reads it, not the core (unclaimed files, by contrast, are hashed at their first change).
  await project.write('static/moved.css', 'c{}!')
  await reloader.reload({ paths: ['static/moved.css'] })
  assert.match(seen.get('by-stat:static/moved.css') ?? '', /^stat:4:[\d.]+=c\{\}!$/)
})
