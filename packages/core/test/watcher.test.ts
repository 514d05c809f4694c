import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { open, rename, utimes } from 'node:fs/promises'
import { startFileDetection } from '../src/detection.js'
import { FileState, type Reconciled } from '../src/file-state.js'
import { createPathMatcher } from '../src/path-matcher.js'
import { DEFAULT_IGNORE, DEFAULT_INCLUDE } from '../src/options.js'
import { chokidarBackend } from '../src/watchers/chokidar.js'
import type { RawEventKind, WatcherBackend } from '../src/watchers/backend.js'
import { parcelBackend } from '../src/watchers/parcel.js'
import { BACKENDS } from './backends.js'
import type { WatcherError } from '../src/errors.js'
import type { FileChange } from '../src/changes.js'
import { makeTempProject, waitFor } from '../../../test/helpers/index.js'

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex')
type After = { after(fn: () => Promise<void>): void }

/**
 * The detection chain as the kernel runs it: watcher -> debouncer -> reconcile -> commit, one
 * batch at a time. Records raw events, every batch's result and every error.
 */
async function startChain(t: After, files: Record<string, string>, { backend, usePolling }: { backend: WatcherBackend; usePolling: boolean }, timing = { debounceMs: 50, maxWaitMs: 1000 }) {
  const project = await makeTempProject(files)
  const matcher = createPathMatcher(project.root, DEFAULT_INCLUDE, DEFAULT_IGNORE)
  const state = new FileState(project.root, matcher)
  state.commit((await state.reconcile(await state.scan())).changes)
  state.release()
  const batches: Reconciled[] = []
  const errors: unknown[] = []
  const contents = new Map<string, string[]>()
  let queue = Promise.resolve()
  // The kernel's own detection module (watcher -> debouncer), with a reconcile-and-commit loop
  // in place of the transaction queue.
  const detection = await startFileDetection({
    backend,
    files: state,
    matcher,
    options: { root: project.root, usePolling, ...timing },
    counters: { rawEvents: 0, batches: 0 },
    onBatch: (paths) => {
      queue = queue.then(async () => {
        const result = await state.reconcile(paths)
        for (const change of result.changes) {
          if (change.kind !== 'deleted') contents.set(change.path, [...(contents.get(change.path) ?? []), (await state.read(change)).toString()])
        }
        state.commit(result.changes)
        state.release()
        batches.push(result)
      }).catch((error: unknown) => void errors.push(error))
    },
    onError: (error) => void errors.push(error),
  })
  t.after(async () => {
    await detection.close()
    await queue
    await project.cleanup()
  })
  const changes = (): FileChange[] => batches.flatMap((b) => b.changes)
  let sentinels = 0
  return {
    project,
    state,
    batches,
    errors,
    contents,
    changes,
    /** Changes of `path` as `kind` or `kind from -> path` strings. */
    history: (path: string) => changes().filter((c) => c.path === path || c.from === path).map((c) => (c.from ? `${c.kind} ${c.from}` : c.kind)),
    waitForChange: (message: string, predicate: (c: FileChange) => boolean) => waitFor(() => changes().find(predicate), { message }),
    /** Writes a fresh file and waits until it is applied: every event before it has been seen. */
    async settle() {
      const rel = `config/zz-sentinel-${++sentinels}.json`
      await project.write(rel, `{"n":${sentinels}}`)
      await waitFor(() => changes().some((c) => c.path === rel), { message: `the sentinel ${rel}` })
    },
  }
}

// For the cases whose point is that several events land in one batch: a window wide enough that
// a loaded machine does not split them.
const wide = { debounceMs: 200, maxWaitMs: 2000 }

for (const using of BACKENDS) {
  const mode = using.label

  test(`${mode}: add, change and unlink of a file created after start`, async (t) => {
    const c = await startChain(t, { 'config/app.json': '{}' }, using)
    await c.project.write('config/new.json', '{"v":1}')
    await c.waitForChange('created', (ch) => ch.path === 'config/new.json' && ch.kind === 'created')
    await c.project.write('config/new.json', '{"v":2}')
    await c.waitForChange('modified', (ch) => ch.path === 'config/new.json' && ch.kind === 'modified')
    await c.project.remove('config/new.json')
    await c.waitForChange('deleted', (ch) => ch.path === 'config/new.json' && ch.kind === 'deleted')
    assert.deepEqual(c.history('config/new.json'), ['created', 'modified', 'deleted'])
    assert.deepEqual(c.contents.get('config/new.json'), ['{"v":1}', '{"v":2}'])
    assert.deepEqual(c.errors, [])
  })

  test(`${mode}: a file in directories created after start`, async (t) => {
    const c = await startChain(t, { 'config/app.json': '{}' }, using)
    await c.project.write('config/new/deeper/a.yaml', 'a: 1')
    await c.waitForChange('created', (ch) => ch.path === 'config/new/deeper/a.yaml')
    assert.deepEqual(c.contents.get('config/new/deeper/a.yaml'), ['a: 1'])
  })

  test(`${mode}: mkdir followed at once by several writes reports every file (chokidar lists a new directory before it watches it)`, async (t) => {
    const c = await startChain(t, { 'config/app.json': '{}' }, using)
    const names = ['a', 'b', 'c', 'd'].map((n) => `templates/burst/${n}.hbs`)
    for (let round = 0; round < 5; round++) {
      const dir = `templates/burst-${round}`
      for (const name of names) await c.project.write(name.replace('templates/burst', dir), `${name} ${round}`)
    }
    const expected = [0, 1, 2, 3, 4].flatMap((round) => names.map((name) => name.replace('templates/burst', `templates/burst-${round}`)))
    await waitFor(() => expected.every((rel) => c.state.baseline().has(rel)), { message: `all of ${expected.length} files` })
    for (const rel of expected) assert.deepEqual(c.history(rel), ['created'], rel)
  })

  test(`${mode}: a directory deleted and re-created ends with the re-created files`, async (t) => {
    const c = await startChain(t, { 'templates/mail/a.hbs': 'A1', 'templates/mail/b.hbs': 'B' }, using)
    await c.project.remove('templates/mail')
    await waitFor(() => c.history('templates/mail/a.hbs').includes('deleted') && c.history('templates/mail/b.hbs').includes('deleted'), { message: 'both deleted' })
    await c.project.write('templates/mail/a.hbs', 'A2')
    await c.project.write('templates/mail/b.hbs', 'B')
    await waitFor(() => c.state.baseline().has('templates/mail/a.hbs') && c.state.baseline().has('templates/mail/b.hbs'), { message: 'both re-created' })
    assert.equal(c.state.baseline().get('templates/mail/a.hbs')?.hash, sha256('A2'))
    assert.deepEqual(c.history('templates/mail/a.hbs'), ['deleted', 'created'])
    assert.deepEqual(c.contents.get('templates/mail/b.hbs'), ['B'])
  })

  test(`${mode}: a directory deleted, re-created and written into in one go ends with the new files`, async (t) => {
    // All synchronous: parcel then sees the deletion and the creation of the directory in one
    // batch, which it reports as an update of it (parcel-bundler/watcher#72), and the files were
    // written before it watched the new directory, so it reports none of them.
    const c = await startChain(t, { 'templates/mail/a.hbs': 'A1', 'templates/mail/b.hbs': 'B1' }, using)
    await c.settle()
    rmSync(c.project.path('templates/mail'), { recursive: true })
    mkdirSync(c.project.path('templates/mail'))
    writeFileSync(c.project.path('templates/mail/a.hbs'), 'A2')
    writeFileSync(c.project.path('templates/mail/c.hbs'), 'C2')
    await waitFor(() => c.contents.get('templates/mail/a.hbs')?.at(-1) === 'A2' && c.contents.get('templates/mail/c.hbs')?.at(-1) === 'C2' && !c.state.baseline().has('templates/mail/b.hbs'), {
      message: 'a.hbs rewritten, c.hbs new, b.hbs gone',
    })
    assert.deepEqual(c.errors, [])
  })

  test(`${mode}: an editor's atomic save (write a temp file, rename it over) is one modified`, async (t) => {
    const c = await startChain(t, { 'config/x.json': '{"v":1}' }, using, wide)
    await c.project.write('config/.x.json.tmp', '{"v":2}')
    await rename(c.project.path('config/.x.json.tmp'), c.project.path('config/x.json'))
    await c.waitForChange('x.json modified', (ch) => ch.path === 'config/x.json')
    await c.settle()
    assert.deepEqual(c.history('config/x.json'), ['modified'])
    assert.deepEqual(c.contents.get('config/x.json'), ['{"v":2}'])
    assert.ok(!c.changes().some((ch) => ch.path.includes('.tmp')), 'the temp file is never a change')
  })

  test(`${mode}: a file renamed over another with the same mtime is a modified and a deleted`, async (t) => {
    const c = await startChain(t, { 'config/old.json': '{"a":1}', 'config/new.json': '{"b":1}' }, using, wide)
    // Two files written in one clock tick: chokidar compares mtimes and stays silent about new.json.
    const mtime = new Date(Date.now() - 60_000)
    const atime = new Date(Date.now() - 1_000)
    await utimes(c.project.path('config/old.json'), atime, mtime)
    await utimes(c.project.path('config/new.json'), atime, mtime)
    await c.settle()
    await rename(c.project.path('config/old.json'), c.project.path('config/new.json'))
    await c.waitForChange('new.json modified', (ch) => ch.path === 'config/new.json')
    await c.settle()
    assert.deepEqual(c.history('config/new.json'), ['modified'])
    assert.deepEqual(c.history('config/old.json'), ['deleted'])
    assert.deepEqual(c.contents.get('config/new.json'), ['{"a":1}'])
  })

  test(`${mode}: a vim-style save (rename to x.json~, write x.json, remove the backup) is one modified, no deleted`, async (t) => {
    const c = await startChain(t, { 'config/x.json': '{"v":1}' }, using, wide)
    await rename(c.project.path('config/x.json'), c.project.path('config/x.json~'))
    await c.project.write('config/x.json', '{"v":2}')
    await c.project.remove('config/x.json~')
    await c.waitForChange('x.json modified', (ch) => ch.path === 'config/x.json')
    await c.settle()
    assert.deepEqual(c.history('config/x.json'), ['modified'])
    assert.deepEqual(c.contents.get('config/x.json'), ['{"v":2}'])
  })

  test(`${mode}: truncate-then-write ends with the final content`, async (t) => {
    const c = await startChain(t, { 'config/t.json': '{"v":"old"}' }, using, wide)
    const handle = await open(c.project.path('config/t.json'), 'w')
    await handle.write('{"v":')
    await handle.write('"new, and longer"}')
    await handle.close()
    await waitFor(() => c.state.baseline().get('config/t.json')?.hash === sha256('{"v":"new, and longer"}'), { message: 'the final content' })
    assert.ok(!c.history('config/t.json').includes('deleted'))
    assert.equal(c.contents.get('config/t.json')?.at(-1), '{"v":"new, and longer"}')
  })

  test(`${mode}: 300 files written at once (a git checkout) all show up`, async (t) => {
    const c = await startChain(t, { 'config/app.json': '{}' }, using)
    const names = Array.from({ length: 300 }, (_, i) => `templates/checkout/${i % 10}/file-${i}.hbs`)
    await Promise.all(names.map((name, i) => c.project.write(name, `content ${i}`)))
    await waitFor(() => names.every((n) => c.state.baseline().has(n)), { timeoutMs: 20_000, message: 'all 300 files' })
    const created = c.changes().filter((ch) => ch.kind === 'created' && ch.path.startsWith('templates/checkout/'))
    assert.equal(created.length, 300)
    assert.equal(c.state.baseline().get('templates/checkout/7/file-257.hbs')?.hash, sha256('content 257'))
  })

  test(`${mode}: identical bytes and a touch are no-ops`, async (t) => {
    const c = await startChain(t, { 'config/same.json': '{"same":1}', 'static/touched.css': 'a{}' }, using)
    await c.project.write('config/same.json', '{"same":1}')
    await waitFor(() => c.batches.some((b) => b.noops.includes('config/same.json')), { message: 'the same-bytes no-op' })
    const later = new Date(Date.now() + 5_000)
    await utimes(c.project.path('static/touched.css'), later, later)
    await waitFor(() => c.batches.some((b) => b.noops.includes('static/touched.css')), { message: 'the touch no-op' })
    assert.deepEqual(c.history('config/same.json'), [])
    assert.deepEqual(c.history('static/touched.css'), [])
  })

  test(`${mode}: created and deleted inside one window is nothing; deleted and re-created with new bytes is modified`, async (t) => {
    const c = await startChain(t, { 'config/keep.json': '{"v":1}' }, using, wide)
    await c.project.write('config/fleeting.json', '{}')
    await c.project.remove('config/fleeting.json')
    await c.project.remove('config/keep.json')
    await c.project.write('config/keep.json', '{"v":2}')
    await c.waitForChange('keep.json modified', (ch) => ch.path === 'config/keep.json')
    await c.settle()
    assert.deepEqual(c.history('config/fleeting.json'), [])
    assert.deepEqual(c.history('config/keep.json'), ['modified'])
  })

  test(`${mode}: an unlink and an add of the same content is renamed, with from`, async (t) => {
    const c = await startChain(t, { 'templates/old-name.hbs': 'same content' }, using)
    await rename(c.project.path('templates/old-name.hbs'), c.project.path('templates/new-name.hbs'))
    const renamed = await c.waitForChange('the rename', (ch) => ch.path === 'templates/new-name.hbs')
    assert.equal(renamed.kind, 'renamed')
    assert.equal(renamed.from, 'templates/old-name.hbs')
    await c.settle()
    assert.deepEqual(c.history('templates/old-name.hbs'), ['renamed templates/old-name.hbs'])
    assert.equal(c.state.baseline().has('templates/old-name.hbs'), false)
  })

  test(`${mode}: a second write inside chokidar's 50 ms change throttle is still applied (debounceMs 0)`, async (t) => {
    const c = await startChain(t, { 'config/quick.json': '{"v":0}' }, using, { debounceMs: 0, maxWaitMs: 0 })
    await c.project.write('config/quick.json', '{"v":1}')
    await waitFor(() => c.state.baseline().get('config/quick.json')?.hash === sha256('{"v":1}'), { intervalMs: 1, message: 'the first write' })
    await c.project.write('config/quick.json', '{"v":2}')
    await waitFor(() => c.state.baseline().get('config/quick.json')?.hash === sha256('{"v":2}'), { message: 'the second write' })
    assert.equal(c.contents.get('config/quick.json')?.at(-1), '{"v":2}')
  })

  test(`${mode}: each of 12 saves is one change, with no echo batch after it (debounceMs 0)`, async (t) => {
    // chokidar native: a save is taken from its native events (the file's watch and its
    // directory's, one delivery) and chokidar's own later `change` is covered, so no batch finds
    // the same bytes again. A new file and an atomic save (rename over) count once too. Each
    // save is one synchronous call, so all of its events are queued before the loop reads them
    // (an async writeFile's truncate and write can fall into two batches, the second finding
    // the bytes the first already read: that is the debounce's job, and debounceMs is 0 here).
    const c = await startChain(t, { 'config/echo.json': '{"v":0}' }, using, { debounceMs: 0, maxWaitMs: 0 })
    // A size of its own each time: a poller compares size and mtime, and two saves may share a clock tick.
    const save = (v: number) => JSON.stringify({ v: 'x'.repeat(v) })
    // A poller takes its first look at a file some time after ready: a save before it is the
    // baseline, not a change. A sentinel applied shows every watch is live.
    await c.settle()
    for (let v = 1; v <= 10; v++) {
      writeFileSync(c.project.path('config/echo.json'), save(v))
      await waitFor(() => c.contents.get('config/echo.json')?.at(-1) === save(v), { message: `save ${v}` })
    }
    writeFileSync(c.project.path('config/echo-new.json'), '{"n":1}')
    await waitFor(() => c.contents.get('config/echo-new.json')?.at(-1) === '{"n":1}', { message: 'the new file' })
    writeFileSync(c.project.path('config/.echo.json.tmp'), save(11))
    await rename(c.project.path('config/.echo.json.tmp'), c.project.path('config/echo.json'))
    await waitFor(() => c.contents.get('config/echo.json')?.at(-1) === save(11), { message: 'the atomic save' })
    // Every event of the saves above comes before the sentinel's (see settle).
    await c.settle()
    assert.deepEqual(c.errors, [])
    assert.deepEqual(c.history('config/echo.json'), Array.from({ length: 11 }, () => 'modified'))
    assert.deepEqual(c.history('config/echo-new.json'), ['created'])
    // A poller stats on its own clock: it may catch a save half-written, and its trailing check
    // (chokidar.ts) then finds the rest already applied. Native events and parcel's have no such pass.
    // (The sentinels are written by an async writeFile, whose two system calls may fall apart.)
    const echoes = c.batches.filter((b) => b.changes.length === 0).flatMap((b) => b.noops.filter((p) => p.startsWith('config/echo')))
    if (!using.usePolling) assert.deepEqual(echoes, [], 'no batch found nothing new')
  })

  test(`${mode}: a file written every 10 ms for 1.5 s flushes at least twice (maxWaitMs) and ends with its last content`, async (t) => {
    const c = await startChain(t, { 'config/stream.json': '{"n":0}' }, using, { debounceMs: 100, maxWaitMs: 400 })
    const started = Date.now()
    // The workload: a synchronous write every 10 ms, so writes never overlap.
    const n = await new Promise<number>((resolve) => {
      let written = 0
      const timer = setInterval(() => {
        if (Date.now() - started >= 1500) {
          clearInterval(timer)
          resolve(written)
          return
        }
        writeFileSync(c.project.path('config/stream.json'), `{"n":${++written}}`)
      }, 10)
    })
    const whileWriting = c.history('config/stream.json').length
    assert.ok(whileWriting >= 2, `expected at least 2 applied batches while writing, got ${whileWriting}`)
    await waitFor(() => c.state.baseline().get('config/stream.json')?.hash === sha256(`{"n":${n}}`), { message: 'the last write' })
    assert.ok(c.history('config/stream.json').every((kind) => kind === 'modified'))
  })
}

for (const backend of [chokidarBackend, parcelBackend]) {
  test(`[${backend.name}] close() is idempotent and returns the same promise; the error handler catches a throwing event handler`, async (t) => {
    const project = await makeTempProject({ 'config/a.json': '{}' })
    t.after(() => project.cleanup())
    const errors: WatcherError[] = []
    const seen: string[] = []
    const watcher = await backend.start({
      root: project.root,
      matcher: createPathMatcher(project.root, DEFAULT_INCLUDE, DEFAULT_IGNORE),
      onEvent(kind, rel) {
        seen.push(rel)
        if (rel === 'config/bad.json') throw new Error('handler bug')
      },
      onError: (error) => void errors.push(error),
    })
    t.after(() => watcher.close())
    await project.write('config/bad.json', '{}')
    await waitFor(() => errors.length > 0, { message: 'the reported handler error' })
    assert.equal(errors[0]?.code, 'HR_WATCHER')
    assert.equal(errors[0]?.path, 'config/bad.json')
    assert.match(errors[0]?.message ?? '', /handler bug/)
    await project.write('config/good.json', '{}')
    await waitFor(() => seen.includes('config/good.json'), { message: 'the next event' })
    const first = watcher.close()
    assert.equal(watcher.close(), first)
    await first
  })

  test(`[${backend.name}] refresh() starts watching a directory that a later include() allowed`, async (t) => {
    const project = await makeTempProject({ 'config/a.json': '{}', 'data/old.csv': 'a' })
    t.after(() => project.cleanup())
    const matcher = createPathMatcher(project.root, DEFAULT_INCLUDE, DEFAULT_IGNORE)
    const seen: [RawEventKind, string][] = []
    const errors: WatcherError[] = []
    const watcher = await backend.start({ root: project.root, matcher, onEvent: (kind, rel) => void seen.push([kind, rel]), onError: (e) => void errors.push(e) })
    t.after(() => watcher.close())
    matcher.include(['data/**/*.csv'])
    watcher.refresh?.('data')
    await waitFor(async () => {
      await project.write('data/new.csv', `b ${Date.now()}`)
      return seen.some(([, rel]) => rel === 'data/new.csv')
    }, { intervalMs: 100, message: 'an event from data/' })
    assert.ok(!seen.some(([, rel]) => rel === 'data/old.csv'), 'files already there are not reported')
    assert.deepEqual(errors, [])
  })
}
