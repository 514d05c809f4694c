// Kernel v2's lifecycle: the prepare gate and `aborted`, the commit point, the kernel stopping a
// stale transaction, time-limited notify, versions and run ids across restarts, and the two
// seams (a change source whose bytes are not on disk, a watcher backend that is not chokidar).
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, rm } from 'node:fs/promises'
import { test } from 'node:test'
import {
  createHotReload,
  createStagingKey,
  defineReloadHandler,
  HotReloadError,
  type ChangeSource,
  type FileChange,
  type Fingerprint,
  type HotReloadEvent,
  type Plugin,
  type Reconciled,
  type WatcherBackend,
} from '@hotreload/core'
import { makeTempProject, recordEvents, waitFor } from '../../../test/helpers/index.js'
import { startInstance } from '../../../test/helpers/instance.js'
import { spawnSourceScript } from '../../../test/helpers/source-child.js'

/** A handler that keeps each JSON file's parsed value, visible only from commit. */
function jsonStore(name = 'json', files = 'conf/**/*.json') {
  const values = new Map<string, unknown>()
  const plugin = defineReloadHandler<unknown>({
    name,
    files,
    async validate(change, ctx) {
      return change.kind === 'deleted' ? undefined : JSON.parse(await ctx.readText())
    },
    commit(change, ctx) {
      if (change.from !== undefined) values.delete(change.from)
      if (change.kind === 'deleted') values.delete(change.path)
      else values.set(change.path, ctx.staged)
    },
  })
  return { plugin, values }
}

/** A plugin whose prepare tap votes with `vote()`. */
function voter(vote: (paths: string[]) => Promise<true | string>): Plugin {
  return {
    name: 'voter',
    apply(kernel) {
      kernel.hooks.prepare.tapPromise('voter', async (tx) => {
        const verdict = await vote(tx.changes.map((c) => c.path))
        if (verdict !== true) tx.abort({ code: 'HR_TEST_NACK', message: verdict, details: { member: 'b' } })
      })
    },
  }
}

test('prepare can abort: status aborted (not rejected), nothing applied, the reason and details in the event', async (t) => {
  const { plugin, values } = jsonStore()
  let refuse = false
  const { project, reloader, recorder } = await startInstance(t, {
    files: { 'conf/a.json': '{"n":1}' },
    include: ['conf/**'],
    plugins: [plugin, voter(async () => (refuse ? 'member b voted no' : true))],
  })
  refuse = true
  await project.save('conf/a.json', '{"n":2}')
  const aborted = await recorder.next('aborted')
  assert.deepEqual(aborted.abort, { code: 'HR_TEST_NACK', message: 'member b voted no', details: { member: 'b' }, plugin: 'voter' })
  assert.deepEqual(values.get('conf/a.json'), { n: 1 })
  assert.equal(reloader.status().version, 1)
  assert.equal(reloader.status().counters.aborted, 1)
  assert.equal(reloader.status().last?.status, 'aborted')
  assert.equal(recorder.of('rejected').length, 0)

  refuse = false
  await project.save('conf/a.json', '{"n":3}')
  await recorder.next('applied')
  assert.deepEqual(values.get('conf/a.json'), { n: 3 })
})

test('prepare has its own deadline, separate from stageTimeoutMs: waiting past it aborts with HR_PREPARE_TIMEOUT', async (t) => {
  const { plugin, values } = jsonStore()
  let wait = false
  const { project, recorder } = await startInstance(t, {
    files: { 'conf/a.json': '{"n":1}' },
    include: ['conf/**'],
    stageTimeoutMs: 50,
    prepareTimeoutMs: 400,
    plugins: [plugin, voter(() => (wait ? new Promise<true>(() => undefined) : Promise.resolve(true)))],
  })
  wait = true
  await project.save('conf/a.json', '{"n":2}')
  const aborted = await recorder.next('aborted')
  assert.equal(aborted.abort.code, 'HR_PREPARE_TIMEOUT')
  assert.equal(aborted.abort.plugin, 'voter')
  assert.deepEqual(values.get('conf/a.json'), { n: 1 })
})

test('a vote slower than stageTimeoutMs but within prepareTimeoutMs commits', async (t) => {
  const { plugin, values } = jsonStore()
  const { project, recorder } = await startInstance(t, {
    files: { 'conf/a.json': '{"n":1}' },
    include: ['conf/**'],
    stageTimeoutMs: 30,
    prepareTimeoutMs: 10_000,
    plugins: [plugin, voter(() => new Promise((resolve) => setTimeout(() => resolve(true), 150)))],
  })
  await project.save('conf/a.json', '{"n":2}')
  const applied = await recorder.next('applied')
  assert.ok((applied.version ?? 0) >= 2)
  assert.deepEqual(values.get('conf/a.json'), { n: 2 })
})

test('after an apply timeout no later tap runs; the late tap\'s undo runs when it settles', async (t) => {
  const log: string[] = []
  let hang = false
  let finishHung: (() => void) | undefined
  const slow: Plugin = {
    name: 'slow',
    apply(kernel) {
      kernel.claimFiles('slow', 'conf/**/*.json')
      kernel.hooks.apply.tapPromise('slow', async (tx) => {
        if (!hang || tx.reason !== 'watch') return
        await new Promise<void>((r) => (finishHung = r))
        // Registered after the stage timed out and the rollback ran: must still be undone.
        log.push('slow:work')
        tx.onRollback('slow', () => void log.push('slow:undo'))
      })
    },
  }
  const later: Plugin = {
    name: 'later',
    apply(kernel) {
      kernel.hooks.apply.tap('later', (tx) => {
        if (tx.reason !== 'watch') return
        log.push('later:apply')
        tx.onRollback('later', () => void log.push('later:undo'))
      })
      kernel.hooks.commit.tap('later', (tx) => {
        if (tx.reason === 'watch') log.push('later:commit')
      })
    },
  }
  const { project, recorder } = await startInstance(t, { files: { 'conf/a.json': '{}' }, include: ['conf/**'], stageTimeoutMs: 100, plugins: [slow, later] })
  hang = true
  await project.save('conf/a.json', '{"n":2}')
  const rolled = await recorder.next('rolled-back')
  assert.equal(rolled.error.code, 'HR_STAGE_TIMEOUT')
  assert.equal(rolled.error.plugin, 'slow')
  finishHung?.()
  await waitFor(() => log.includes('slow:undo'), { message: 'the late tap\'s undo' })
  assert.deepEqual(log, ['slow:work', 'slow:undo'])
})

test('a hung notify tap is an error event and delays neither the next transaction nor close()', async (t) => {
  const { plugin, values } = jsonStore()
  const hung: Plugin = {
    name: 'hung-notify',
    apply(kernel) {
      kernel.hooks.notify.tapPromise('hung-notify', (record) => (record.reason === 'initial' ? Promise.resolve() : new Promise(() => undefined)))
    },
  }
  const project = await makeTempProject({ 'conf/a.json': '{"n":1}' })
  t.after(() => project.cleanup())
  const reloader = await createHotReload({ root: project.root, include: ['conf/**'], debounceMs: 10, notifyTimeoutMs: 300, plugins: [plugin, hung] })
  const recorder = recordEvents<HotReloadEvent>(reloader)
  // Each of these transactions would wait 300 ms on the hung tap if notify were awaited.
  for (const n of [2, 3, 4]) {
    await project.save('conf/a.json', `{"n":${n}}`)
    await waitFor(() => (values.get('conf/a.json') as { n: number } | undefined)?.n === n, { message: `value ${n}` })
  }
  assert.equal(recorder.of('applied').length, 3)
  const error = await recorder.next('error', (e) => e.error.plugin === 'hung-notify')
  assert.match(error.error.message, /did not finish within 300 ms/)
  const started = Date.now()
  await reloader.close()
  // close() waits for nothing the hung tap holds: well under the notify limit here.
  assert.ok(Date.now() - started < 5_000)
})

test('versions continue after a restart and every event carries the run id; a dry run writes no state', async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"n":1}' })
  t.after(() => project.cleanup())
  const first = await createHotReload({ root: project.root, include: ['conf/**'], watch: false, plugins: [jsonStore().plugin] })
  await project.save('conf/a.json', '{"n":2}')
  await first.reload()
  assert.equal(first.status().version, 2)
  const firstRun = first.runId
  await first.close()
  const state = JSON.parse(await readFile(project.path('.hotreload/state.json'), 'utf8')) as { version: number; runId: string }
  assert.deepEqual([state.version, state.runId], [2, firstRun])

  const events: HotReloadEvent[] = []
  const second = await createHotReload({ root: project.root, include: ['conf/**'], watch: false, plugins: [jsonStore().plugin], onEvent: (e) => events.push(e) })
  t.after(() => second.close())
  assert.notEqual(second.runId, firstRun)
  // The initial load of the new run is version 3: version 1 and 2 belong to the first run.
  assert.equal(second.status().version, 3)
  assert.ok(events.length > 0 && events.every((e) => e.runId === second.runId))
  assert.deepEqual(second.history().map((r) => [r.version, r.runId]), [[3, second.runId]])

  // While the run is idle, the file holds the version its next transaction takes, so that a
  // commit writes nothing; close() puts the last committed one back.
  const recorded = async () => (JSON.parse(await readFile(project.path('.hotreload/state.json'), 'utf8')) as { version: number }).version
  assert.equal(await recorded(), 4, 'version 4 is reserved for the next transaction')

  await project.save('conf/a.json', '{"n":3}')
  const untouched = await readFile(project.path('.hotreload/state.json'))
  const dry = await createHotReload({ root: project.root, include: ['conf/**'], watch: false, dryRun: true, plugins: [jsonStore().plugin] })
  assert.equal(dry.status().version, 4, 'a dry run counts from the highest version taken')
  await dry.close()
  assert.deepEqual(await readFile(project.path('.hotreload/state.json')), untouched, 'the dry run wrote nothing')
  await second.close()
  assert.equal(await recorded(), 3, 'close() leaves the last committed version')
})

test('the recorded version survives many transactions written in place, and a state file deleted mid-run is written anew', async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"n":0}' })
  t.after(() => project.cleanup())
  const reloader = await createHotReload({ root: project.root, include: ['conf/**'], watch: false, audit: false, plugins: [jsonStore().plugin] })
  const stateFile = project.path('.hotreload/state.json')
  const recorded = async () => (JSON.parse(await readFile(stateFile, 'utf8')) as { version: number; runId: string })
  for (let n = 1; n <= 120; n++) await reloader.reload({ paths: ['conf/a.json'], force: true })
  const written = await recorded()
  assert.equal(reloader.status().version, 121)
  assert.deepEqual([written.version, written.runId], [122, reloader.runId], 'the next version is reserved')
  // Someone deletes the file (or an editor replaces it): the version committed next is written
  // anew at its commit, and the one after it reserved.
  await rm(stateFile)
  await reloader.reload({ paths: ['conf/a.json'], force: true })
  assert.equal(reloader.status().version, 122)
  assert.equal((await recorded()).version, 123)
  await reloader.close()
  assert.equal((await recorded()).version, 122, 'close() leaves the last committed version')
  await reloader.close()
  const next = await createHotReload({ root: project.root, include: ['conf/**'], watch: false, audit: false, plugins: [jsonStore().plugin] })
  t.after(() => next.close())
  assert.equal(next.status().version, 123, 'a restart continues after the last recorded version')
})

test('a run killed between transactions leaves a gap in the versions, never a repeat', async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"n":1}' })
  t.after(() => project.cleanup())
  const { child, stdout, stderr, exited } = spawnSourceScript('packages/core/test/fixtures/versions-kill-child.ts', [project.root])
  t.after(() => void child.kill('SIGKILL'))
  await waitFor(() => /^v 20$/m.test(stdout()), { timeoutMs: 120_000, message: `twenty versions in the child (stderr: ${stderr()})` })
  child.kill('SIGKILL')
  await exited
  const printed = Math.max(...[...stdout().matchAll(/^v (\d+)$/gm)].map((m) => Number(m[1])))
  // Each printed version was committed and the next one reserved before reload() returned; the
  // child may have committed one more without printing it. Either way the restart is above both.
  const next = await createHotReload({ root: project.root, include: ['conf/**'], watch: false, audit: false, plugins: [jsonStore().plugin] })
  t.after(() => next.close())
  assert.ok(next.status().version >= printed + 2, `the restart's first version ${next.status().version} is above ${printed} and the one reserved after it`)
})

test('typed staging carries a plugin\'s value from validate to commit; claimFiles claims renames by their old path', async (t) => {
  const key = createStagingKey<{ sizes: number[] }>('sizes')
  const seen: number[][] = []
  const claimed: string[] = []
  const sizes: Plugin = {
    name: 'sizes',
    apply(kernel) {
      kernel.claimFiles('sizes', 'data/*.txt')
      kernel.hooks.validate.tap('sizes', (tx) => tx.stage(key, { sizes: tx.claimed('sizes').map((c) => c.fingerprint?.size ?? -1) }))
      kernel.hooks.commit.tap('sizes', (tx) => {
        const staged = tx.staged(key)
        if (staged) seen.push(staged.sizes)
        claimed.push(...tx.claimed('sizes').map((c) => `${c.kind}:${c.from ?? ''}>${c.path}`))
      })
    },
  }
  const { project, recorder } = await startInstance(t, { files: { 'data/a.txt': 'abc' }, include: ['data/**', 'moved/**'], plugins: [sizes] })
  assert.deepEqual(seen, [[3]])
  await project.save('data/b.txt', '12345')
  await recorder.next('applied')
  assert.deepEqual(seen.at(-1), [5])
  await mkdir(project.path('moved'))
  await rename(project.path('data/a.txt'), project.path('moved/a.txt'))
  await waitFor(() => claimed.some((c) => c.startsWith('renamed:data/a.txt>moved/a.txt')), { message: 'the rename claimed by its old path' })
})

/** An in-memory change source: bytes held in a map, fingerprinted by sha256, never on disk. */
class MemorySource implements ChangeSource {
  readonly name = 'memory'
  readonly files = new Map<string, Buffer>()
  readonly reads: string[] = []
  #baseline = new Map<string, Fingerprint>()
  #onDirty: ((paths: readonly string[]) => void) | undefined

  constructor(private readonly root: string) {}

  put(path: string, text: string | undefined): void {
    if (text === undefined) this.files.delete(path)
    else this.files.set(path, Buffer.from(text))
    this.#onDirty?.([path])
  }

  async scan(): Promise<readonly string[]> {
    return [...this.files.keys()].sort()
  }

  async reconcile(paths: Iterable<string>): Promise<Reconciled> {
    const changes: FileChange[] = []
    const noops: string[] = []
    for (const path of [...new Set(paths)].sort()) {
      const bytes = this.files.get(path)
      const previous = this.#baseline.get(path)
      const absolutePath = `${this.root}/${path}`
      if (!bytes) {
        if (previous) changes.push({ kind: 'deleted', path, absolutePath, previous })
        else noops.push(path)
        continue
      }
      const fingerprint = { size: bytes.length, mtimeMs: 0, hash: createHash('sha256').update(bytes).digest('hex') }
      if (!previous) changes.push({ kind: 'created', path, absolutePath, fingerprint })
      else if (previous.hash !== fingerprint.hash) changes.push({ kind: 'modified', path, absolutePath, fingerprint, previous })
      else noops.push(path)
    }
    return { changes, noops, unreadable: [] }
  }

  async read(change: FileChange): Promise<Buffer> {
    this.reads.push(change.path)
    const bytes = this.files.get(change.path)
    // The same promise as the local files: exactly the fingerprinted bytes, or a rejection.
    if (!bytes || createHash('sha256').update(bytes).digest('hex') !== change.fingerprint?.hash) {
      throw new HotReloadError('HR_TEST_CHANGED', `${change.path} changed since it was fingerprinted`, { path: change.path })
    }
    return bytes
  }

  commit(changes: readonly FileChange[]): void {
    for (const c of changes) {
      if (c.kind === 'deleted') this.#baseline.delete(c.path)
      else if (c.fingerprint) this.#baseline.set(c.path, c.fingerprint)
    }
  }

  release(): void {}

  size(): number {
    return this.#baseline.size
  }

  async watch(onDirty: (paths: readonly string[]) => void): Promise<{ close(): Promise<void> }> {
    this.#onDirty = onDirty
    return { close: async () => void (this.#onDirty = undefined) }
  }
}

test('a plugin-supplied change source feeds transactions bytes that are not on disk, end to end', async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"fromDisk":true}' })
  t.after(() => project.cleanup())
  let memory: MemorySource | undefined
  const sourcePlugin: Plugin = {
    name: 'memory-source',
    apply(kernel) {
      memory = new MemorySource(kernel.root)
      memory.files.set('conf/a.json', Buffer.from('{"n":1}'))
      kernel.useChangeSource(memory)
    },
  }
  const { plugin, values } = jsonStore()
  const reloader = await createHotReload({ root: project.root, include: ['conf/**'], debounceMs: 10, plugins: [sourcePlugin, plugin] })
  t.after(() => reloader.close())
  const recorder = recordEvents<HotReloadEvent>(reloader)
  assert.deepEqual(values.get('conf/a.json'), { n: 1 })
  assert.equal(reloader.status().source, 'memory')

  memory?.put('conf/a.json', '{"n":2}')
  await recorder.next('applied')
  assert.deepEqual(values.get('conf/a.json'), { n: 2 })
  // A file written on disk is not a change: the source is the memory map.
  await project.save('conf/a.json', '{"n":99}')
  memory?.put('conf/b.json', '{"b":1}')
  await recorder.next('applied', (e) => e.paths.includes('conf/b.json'))
  assert.deepEqual(values.get('conf/a.json'), { n: 2 })
  assert.ok(memory?.reads.includes('conf/b.json'))
  memory?.put('conf/b.json', 'not json')
  const rejected = await recorder.next('rejected')
  assert.equal(rejected.problems[0]?.path, 'conf/b.json')
})

test('a second plugin replacing the change source is refused', async (t) => {
  const project = await makeTempProject({})
  t.after(() => project.cleanup())
  const claim = (name: string): Plugin => ({ name, apply: (kernel) => kernel.useChangeSource(new MemorySource(kernel.root)) })
  await assert.rejects(createHotReload({ root: project.root, watch: false, plugins: [claim('one'), claim('two')] }), /plugin "two" cannot replace the change source: plugin "one" already did/)
})

test('the kernel runs on any WatcherBackend: a backend object given as the watcher option drives transactions', async (t) => {
  let report: ((rel: string) => void) | undefined
  const started: string[] = []
  const manual: WatcherBackend = {
    name: 'manual',
    async start(options) {
      started.push(options.root)
      report = (rel) => options.onEvent('change', rel)
      return { close: async () => void (report = undefined) }
    },
  }
  const { plugin, values } = jsonStore()
  const { project, reloader, recorder } = await startInstance(t, { files: { 'conf/a.json': '{"n":1}' }, include: ['conf/**'], watcher: manual, plugins: [plugin] })
  assert.deepEqual(started, [project.root])
  assert.equal(reloader.status().source, 'manual')
  await project.save('conf/a.json', '{"n":2}')
  report?.('conf/a.json')
  await recorder.next('applied')
  assert.deepEqual(values.get('conf/a.json'), { n: 2 })
  await reloader.close()
  assert.equal(report, undefined)
})

test('an unknown watcher name is an error that lists the backends', async (t) => {
  const project = await makeTempProject({})
  t.after(() => project.cleanup())
  await assert.rejects(createHotReload({ root: project.root, watcher: 'inotify-ng' }), /unknown watcher backend "inotify-ng".*chokidar/s)
})

test('a rejected file put back to its applied bytes is announced as resolved, with no transaction', async (t) => {
  const { plugin, values } = jsonStore()
  const { project, reloader, recorder } = await startInstance(t, { files: { 'conf/a.json': '{"n":1}' }, include: ['conf/**'], plugins: [plugin] })
  await project.save('conf/a.json', '{"n":')
  await recorder.next('rejected')
  const transactions = reloader.status().counters.transactions
  await project.save('conf/a.json', '{"n":1}')
  const resolved = await recorder.next('resolved')
  assert.deepEqual(resolved.paths, ['conf/a.json'])
  assert.equal(resolved.version, 1)
  assert.equal(reloader.status().counters.transactions, transactions)
  assert.deepEqual(reloader.status().pending, [])
  assert.deepEqual(values.get('conf/a.json'), { n: 1 })
})
