import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defineReloadHandler, type Plugin } from '@hotreload/core'
import { waitFor } from '../../../test/helpers/index.js'
import { startInstance } from '../../../test/helpers/instance.js'

// Edits are saved atomically (project.save): a plain write leaves the file empty for a moment,
// and a loaded machine reads that as a transaction of its own (an extra rejection, or a new
// state where a test wants the same bytes again).
async function setup(t: { after(fn: () => Promise<void>): void }, files: Record<string, string>, plugins: Plugin[], extra: object = {}) {
  const { project, reloader, recorder } = await startInstance(t, { files, include: ['conf/**/*'], plugins, ...extra })
  return { project, reloader, rec: recorder }
}

/** A handler that keeps the parsed JSON of each file in `state`, rejecting files marked invalid. */
function jsonHandler(name: string, state: Map<string, unknown>, log: string[] = []) {
  return defineReloadHandler<unknown>({
    name,
    files: 'conf/**/*.json',
    validate: async (change, ctx) => {
      if (change.kind === 'deleted') return undefined
      const value: unknown = JSON.parse(await ctx.readText())
      if (typeof value === 'object' && value !== null && 'invalid' in value) ctx.problem(`marked invalid: ${String(value.invalid)}`, { line: 1, column: 2 })
      return value
    },
    handleChange: (change, ctx) => {
      const had = state.has(change.path)
      const before = state.get(change.path)
      if (change.kind === 'deleted') state.delete(change.path)
      else state.set(change.path, ctx.staged)
      log.push(`${name}:apply:${change.path}`)
      return () => {
        log.push(`${name}:undo:${change.path}`)
        if (had) state.set(change.path, before)
        else state.delete(change.path)
      }
    },
  })
}

function failingPlugin(name: string, shouldFail: () => boolean, log: string[]): Plugin {
  return {
    name,
    apply(kernel) {
      kernel.hooks.detect.tap(name, (changes, tx) => {
        for (const c of changes) tx.claim(name, c)
        return changes
      })
      kernel.hooks.apply.tapPromise(name, async (tx) => {
        tx.onRollback(name, () => void log.push(`${name}:undo`))
        log.push(`${name}:apply`)
        if (shouldFail()) throw new Error(`${name} broke on purpose`)
      })
    },
  }
}

test('the initial load applies as version 1 and every change after it is a new version', async (t) => {
  const state = new Map<string, unknown>()
  const { project, reloader, rec } = await setup(t, { 'conf/a.json': '{"n":1}' }, [jsonHandler('json', state)])
  assert.equal(reloader.status().version, 1)
  assert.deepEqual(state.get('conf/a.json'), { n: 1 })
  assert.equal(reloader.history()[0]?.reason, 'initial')

  await project.save('conf/a.json', '{"n":2}')
  const applied = await rec.next('applied', (e) => e.version === 2)
  assert.deepEqual(applied.changes, [{ kind: 'modified', path: 'conf/a.json' }])
  assert.deepEqual(applied.paths, ['conf/a.json'])
  assert.deepEqual(applied.plugins, ['json'])
  assert.deepEqual(state.get('conf/a.json'), { n: 2 })
})

test('validate collects every problem of every plugin and applies nothing', async (t) => {
  const a = new Map<string, unknown>()
  const b = new Map<string, unknown>()
  const thrower: Plugin = {
    name: 'thrower',
    apply(kernel) {
      kernel.hooks.validate.tap('thrower', (tx) => {
        if (tx.reason !== 'initial') throw new Error('thrower refuses')
      })
    },
  }
  const { project, reloader, rec } = await setup(t, { 'conf/a.json': '{"n":1}', 'conf/b.json': '{"n":1}' }, [jsonHandler('first', a), thrower, jsonHandler('second', b)])
  await project.save('conf/a.json', '{"invalid":"a"}')
  await project.save('conf/b.json', '{"invalid":"b"}')
  const rejected = await rec.next('rejected', (e) => e.problems.length >= 5)
  const messages = rejected.problems.map((p) => `${p.plugin}:${p.path ?? ''}:${p.message}`).sort()
  assert.deepEqual(messages, [
    'first:conf/a.json:marked invalid: a',
    'first:conf/b.json:marked invalid: b',
    'second:conf/a.json:marked invalid: a',
    'second:conf/b.json:marked invalid: b',
    'thrower::thrower refuses',
  ])
  assert.equal(rejected.version, 1)
  assert.equal(reloader.status().version, 1)
  assert.deepEqual(a.get('conf/a.json'), { n: 1 })
  assert.deepEqual(b.get('conf/b.json'), { n: 1 })
  assert.equal(reloader.history().at(-1)?.status, 'rejected')
})

test('an apply error rolls back every plugin that applied, in reverse order, and keeps the version', async (t) => {
  const state = new Map<string, unknown>()
  const log: string[] = []
  let fail = false
  const { project, reloader, rec } = await setup(t, { 'conf/a.json': '{"n":1}' }, [
    jsonHandler('json', state, log),
    failingPlugin('second', () => false, log),
    failingPlugin('third', () => fail, log),
  ])
  fail = true
  log.length = 0
  await project.save('conf/a.json', '{"n":2}')
  const rolled = await rec.next('rolled-back')
  assert.equal(rolled.error.plugin, 'third')
  assert.match(rolled.error.message, /broke on purpose/)
  assert.deepEqual(log, ['json:apply:conf/a.json', 'second:apply', 'third:apply', 'third:undo', 'second:undo', 'json:undo:conf/a.json'])
  assert.deepEqual(state.get('conf/a.json'), { n: 1 })
  assert.equal(reloader.status().version, 1)
  assert.equal(rec.of('applied').length, 0)
})

test('a hung handler is reported when its stage time runs out, rolled back, and the instance keeps working', async (t) => {
  let hang = false
  const state = new Map<string, unknown>()
  const hung: Plugin = {
    name: 'hung',
    apply(kernel) {
      kernel.hooks.apply.tapPromise('hung', (tx) => {
        tx.onRollback('hung', () => undefined)
        // Never settles while `hang` is set: a handler waiting on something that will not come.
        return hang ? new Promise<void>(() => undefined) : Promise.resolve()
      })
    },
  }
  const { project, rec } = await setup(t, { 'conf/a.json': '{"n":1}' }, [jsonHandler('json', state), hung], { stageTimeoutMs: 300 })
  hang = true
  await project.save('conf/a.json', '{"n":2}')
  const rolled = await rec.next('rolled-back')
  assert.equal(rolled.error.code, 'HR_STAGE_TIMEOUT')
  assert.equal(rolled.error.plugin, 'hung')
  assert.deepEqual(state.get('conf/a.json'), { n: 1 })

  hang = false
  await project.save('conf/a.json', '{"n":3}')
  await rec.next('applied', (e) => e.version === 2)
  assert.deepEqual(state.get('conf/a.json'), { n: 3 })
})

test('a rejected batch is carried into the next one, so related edits land together', async (t) => {
  const state = new Map<string, unknown>()
  // Both edits must fall in one batch: a transaction held open in validate collects them, so
  // they run together whatever the timing of the two saves.
  let release: (() => void) | undefined
  const gate: Plugin = {
    name: 'gate',
    apply(kernel) {
      kernel.hooks.validate.tapPromise('gate', async (tx) => {
        const gated = tx.reason === 'watch' && tx.changes.some((c) => c.path === 'conf/gate.json')
        if (gated && !release) await new Promise<void>((r) => (release = r))
      })
    },
  }
  const files = { 'conf/a.json': '{"n":1}', 'conf/b.json': '{"n":1}', 'conf/gate.json': '{"n":1}' }
  const { project, reloader, rec } = await setup(t, files, [jsonHandler('json', state), gate])
  await project.save('conf/gate.json', '{"n":2}')
  await waitFor(() => release, { message: 'the gate transaction to block in validate' })
  await project.save('conf/a.json', '{"n":2}')
  await project.save('conf/b.json', '{"invalid":"yes"}')
  await waitFor(() => ['conf/a.json', 'conf/b.json'].every((p) => reloader.status().pending.includes(p)), { message: 'both edits to queue' })
  const since = rec.events.length
  release?.()
  const rejected = await rec.next('rejected', () => true, since)
  assert.deepEqual(rejected.paths, ['conf/a.json', 'conf/b.json'])
  assert.deepEqual(state.get('conf/a.json'), { n: 1 })

  const fixed = rec.events.length
  await project.save('conf/b.json', '{"n":2}')
  const applied = await rec.next('applied', () => true, fixed)
  assert.deepEqual(applied.paths.slice().sort(), ['conf/a.json', 'conf/b.json'])
  assert.deepEqual(state.get('conf/a.json'), { n: 2 })
  assert.deepEqual(state.get('conf/b.json'), { n: 2 })
  await waitFor(() => reloader.status().pending.length === 0, { message: 'nothing pending' })
})

test('changes that arrive during a transaction run in the next one, and the final state wins', async (t) => {
  const state = new Map<string, unknown>()
  let release: (() => void) | undefined
  const slow: Plugin = {
    name: 'slow',
    apply(kernel) {
      kernel.hooks.validate.tapPromise('slow', async (tx) => {
        if (tx.reason === 'watch' && !release) await new Promise<void>((r) => (release = r))
      })
    },
  }
  const { project, reloader, rec } = await setup(t, { 'conf/a.json': '{"n":1}' }, [jsonHandler('json', state), slow])
  await project.save('conf/a.json', '{"n":2}')
  await waitFor(() => release, { message: 'the first transaction to block in validate' })
  assert.equal(reloader.status().busy, true)
  await project.save('conf/a.json', '{"n":3}')
  await waitFor(() => reloader.status().pending.includes('conf/a.json'), { message: 'the edit to queue' })
  release?.()
  await waitFor(() => (state.get('conf/a.json') as { n: number } | undefined)?.n === 3, { message: 'final content applied' })
  const versions = rec.of('applied').map((e) => e.version)
  assert.deepEqual(versions, versions.slice().sort((x, y) => x - y))
})

test('dry run validates and reports, applies nothing', async (t) => {
  const state = new Map<string, unknown>()
  const { project, reloader } = await setup(t, { 'conf/a.json': '{"n":1}' }, [jsonHandler('json', state)])
  await project.save('conf/a.json', '{"n":2}')
  const dry = await reloader.reload({ paths: ['conf/a.json'], dryRun: true })
  assert.equal(dry.status, 'dry-run')
  assert.deepEqual(dry.changes, [{ kind: 'modified', path: 'conf/a.json' }])
  assert.deepEqual(state.get('conf/a.json'), { n: 1 })
  assert.equal(reloader.status().version, 1)

  await project.save('conf/a.json', '{"invalid":1}')
  const dryBad = await reloader.reload({ paths: ['conf/a.json'], dryRun: true })
  assert.equal(dryBad.status, 'dry-run')
  assert.equal(dryBad.problems.length, 1)
  assert.equal(dryBad.problems[0]?.line, 1)
})

test('reload() with force re-applies identical bytes; without it identical bytes are unchanged', async (t) => {
  const state = new Map<string, unknown>()
  const { reloader } = await setup(t, { 'conf/a.json': '{"n":1}' }, [jsonHandler('json', state)], { watch: false })
  const same = await reloader.reload({ paths: ['conf/a.json'] })
  assert.equal(same.status, 'unchanged')
  assert.equal(reloader.status().version, 1)
  const forced = await reloader.reload({ paths: ['conf/a.json'], force: true })
  assert.equal(forced.status, 'applied')
  assert.equal(forced.version, 2)
})

test('history is bounded and records status, files, duration and problems', async (t) => {
  const state = new Map<string, unknown>()
  const { reloader } = await setup(t, { 'conf/a.json': '{"n":1}' }, [jsonHandler('json', state)], { watch: false, historyLimit: 3 })
  for (let i = 0; i < 5; i++) await reloader.reload({ paths: ['conf/a.json'], force: true })
  const history = reloader.history()
  assert.equal(history.length, 3)
  assert.deepEqual(history.map((h) => h.version), [4, 5, 6])
  for (const h of history) {
    assert.equal(h.status, 'applied')
    assert.deepEqual(h.changes, [{ kind: 'modified', path: 'conf/a.json' }])
    assert.equal(typeof h.durationMs, 'number')
    assert.deepEqual(h.problems, [])
  }
})

test('plugin events are delivered after commit and dropped on rollback', async (t) => {
  const seen: string[] = []
  let fail = false
  const emitter: Plugin = {
    name: 'emitter',
    apply(kernel) {
      kernel.hooks.apply.tap('emitter', (tx) => {
        tx.emit({ type: 'test:thing', paths: ['x'], n: tx.version } as never)
        seen.push(`apply v${tx.version} committed=${kernel.version()}`)
      })
    },
  }
  const { project, reloader, rec } = await setup(t, { 'conf/a.json': '{"n":1}' }, [emitter, failingPlugin('late', () => fail, [])])
  const off = reloader.on('*', (e) => {
    if ((e.type as string) === 'test:thing') seen.push(`event v${e.version} committed=${reloader.status().version}`)
  })
  t.after(off)
  fail = true
  await project.save('conf/a.json', '{"n":2}')
  await rec.next('rolled-back')
  assert.equal(seen.filter((s) => s.startsWith('event')).length, 0)
  fail = false
  await project.save('conf/a.json', '{"n":3}')
  await rec.next('applied', (e) => e.version === 2)
  assert.ok(seen.includes('event v2 committed=2'), seen.join('\n'))
})

test('a throwing listener or notify tap becomes an error event and never fails the transaction', async (t) => {
  const noisy: Plugin = {
    name: 'noisy',
    apply(kernel) {
      kernel.hooks.notify.tapPromise('noisy', async (record) => {
        if (record.reason === 'watch') throw new Error('notify exploded')
      })
    },
  }
  const { project, reloader, rec } = await setup(t, { 'conf/a.json': '{"n":1}' }, [jsonHandler('json', new Map()), noisy])
  reloader.on('applied', () => {
    throw new Error('listener exploded')
  })
  await project.save('conf/a.json', '{"n":2}')
  await rec.next('applied', (e) => e.version === 2)
  const errors = await waitFor(() => (rec.of('error').length >= 2 ? rec.of('error') : undefined), { message: 'two error events' })
  const messages = errors.map((e) => e.error.message).join('\n')
  assert.match(messages, /listener exploded/)
  assert.match(messages, /notify exploded/)
  assert.equal(reloader.status().version, 2)
})

test('an older broken file does not hold back an independent new edit, and stays pending until fixed', async (t) => {
  const state = new Map<string, unknown>()
  const { project, reloader, rec } = await setup(t, { 'conf/a.json': '{"n":1}', 'conf/c.json': '{"n":1}' }, [jsonHandler('json', state)])
  await project.save('conf/a.json', '{"invalid":"a"}')
  await rec.next('rejected')

  const since = rec.events.length
  await project.save('conf/c.json', '{"n":2}')
  const applied = await rec.next('applied', () => true, since)
  assert.deepEqual(applied.paths, ['conf/c.json'])
  assert.deepEqual(state.get('conf/c.json'), { n: 2 })
  assert.deepEqual(state.get('conf/a.json'), { n: 1 })
  assert.deepEqual(reloader.status().pending, ['conf/a.json'])

  await project.save('conf/a.json', '{"n":3}')
  await rec.next('applied', (e) => e.paths.includes('conf/a.json'), since)
  assert.deepEqual(state.get('conf/a.json'), { n: 3 })
  // A late watcher event for an unchanged file may still be in the debouncer: it settles to nothing.
  await waitFor(() => reloader.status().pending.length === 0, { message: 'nothing pending' })
})

test('events for files still in the state a failed transaction tried run nothing; the next real edit does', async (t) => {
  const state = new Map<string, unknown>()
  const { project, reloader, rec } = await setup(t, { 'conf/a.json': '{"n":1}', 'conf/c.json': '{"n":1}' }, [jsonHandler('json', state)])
  await project.save('conf/a.json', '{"invalid":"a"}')
  await rec.next('rejected')
  const before = reloader.status().counters

  // What a watcher's late re-check or an editor's save without edits looks like: the same bytes
  // written again, here together with an unrelated file written with its applied bytes.
  await project.save('conf/a.json', '{"invalid":"a"}')
  await project.save('conf/c.json', '{"n":1}')
  await waitFor(() => reloader.status().counters.batches > before.batches && !reloader.status().busy && reloader.status().pending.length === 1, {
    message: 'the batch of identical writes to be handled',
  })
  assert.equal(reloader.status().counters.transactions, before.transactions)
  assert.equal(reloader.status().counters.rejected, 1)
  assert.deepEqual(reloader.status().pending, ['conf/a.json'])

  await project.save('conf/a.json', '{"n":2}')
  await rec.next('applied', (e) => e.paths.includes('conf/a.json'))
  assert.deepEqual(state.get('conf/a.json'), { n: 2 })
  assert.equal(reloader.status().counters.rejected, 1)
})
