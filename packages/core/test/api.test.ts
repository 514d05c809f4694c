import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createHotReload, loadConfigFile, OptionsError, PluginError, ConfigFileError, type HotReloadEvent } from '@hotreload/core'
import { makeTempProject, recordEvents, waitFor } from '../../../test/helpers/index.js'

test('unknown options and wrong types are errors naming the option', async () => {
  await assert.rejects(createHotReload({ debounce: 50 } as never), (e: unknown) => {
    assert.ok(e instanceof OptionsError)
    assert.match(e.message, /unknown option "debounce" \(did you mean "debounceMs"\?\)/)
    return true
  })
  await assert.rejects(createHotReload({ debounceMs: 'fast' } as never), /option "debounceMs" must be integer/)
  await assert.rejects(createHotReload({ include: 'config/*' } as never), /option "include" must be array/)
  await assert.rejects(createHotReload({ plugins: [() => undefined] } as never), (e: unknown) => e instanceof PluginError && /plugins\[0\] is not a plugin/.test(e.message))
})

test('the caller\'s options object is not mutated', async (t) => {
  const project = await makeTempProject({})
  const options = Object.freeze({ root: project.root, include: Object.freeze(['x/**']) as string[], watch: false })
  const reloader = await createHotReload(options)
  t.after(async () => {
    await reloader.close()
    await project.cleanup()
  })
  assert.deepEqual(options, { root: project.root, include: ['x/**'], watch: false })
})

test('on() returns its unsubscribe, once() fires once, and the async iterator ends on close', async (t) => {
  const project = await makeTempProject({ 'conf/a.txt': '1' })
  const reloader = await createHotReload({ root: project.root, include: ['conf/**'], debounceMs: 10 })
  t.after(() => project.cleanup())
  const rec = recordEvents<HotReloadEvent>(reloader)
  let count = 0
  let onceCount = 0
  const off = reloader.on('applied', () => count++)
  reloader.once('applied', () => onceCount++)
  const iterated: string[] = []
  const iterating = (async () => {
    for await (const event of reloader) iterated.push(event.type)
  })()

  await project.write('conf/a.txt', '2')
  await rec.next('applied', (e) => e.version === 2)
  off()
  await project.write('conf/a.txt', '3')
  await rec.next('applied', (e) => e.version === 3)
  assert.equal(count, 1)
  assert.equal(onceCount, 1)

  await reloader.close()
  await reloader.close()
  await iterating
  assert.deepEqual(iterated, ['applied', 'applied'])
  assert.equal(reloader.status().closed, true)
  await assert.rejects(reloader.reload(), /after close/)
})

test('close() leaves no open handles behind', async () => {
  const project = await makeTempProject({ 'conf/a.txt': '1' })
  // Watcher handles and timers are what an instance owns; other kinds belong to the test runner.
  const owned = () => {
    const all = process.getActiveResourcesInfo()
    return { watchers: all.filter((r) => r === 'FSEventWrap' || r === 'StatWatcher').length, timers: all.filter((r) => r === 'Timeout').length }
  }
  const before = owned()
  const reloader = await createHotReload({ root: project.root, include: ['conf/**'], debounceMs: 10 })
  // Listening before the write: on a busy machine the write's promise can resolve after the
  // 10 ms debounce and the transaction, and an `applied` emitted before the listener is lost.
  const events = recordEvents<HotReloadEvent>(reloader)
  await project.write('conf/a.txt', '2')
  await events.next('applied', (e) => e.version === 2)
  assert.ok(owned().watchers > before.watchers, 'the instance watches while open')
  await reloader.close()
  // libuv releases a closed fs.watch handle on a later loop turn, so poll rather than sample once.
  await waitFor(() => {
    const after = owned()
    return after.watchers === before.watchers && after.timers <= before.timers
  }, { timeoutMs: 5000, message: `handles released (before ${JSON.stringify(before)}, now ${JSON.stringify(owned())})` })
  await project.cleanup()
})

test('a bare core reports applied events for any watched file, as a typed watcher', async (t) => {
  const project = await makeTempProject({ 'config/app.json': '{}' })
  const events: HotReloadEvent[] = []
  const reloader = await createHotReload({ root: project.root, debounceMs: 10, onEvent: (e) => events.push(e) })
  t.after(async () => {
    await reloader.close()
    await project.cleanup()
  })
  assert.deepEqual(events.map((e) => e.type), ['applied', 'ready'])
  const ready = events[1]
  assert.equal(ready?.type === 'ready' && ready.files, 1)
  const status = reloader.status()
  assert.equal(status.version, 1)
  assert.equal(status.watching, true)
  assert.equal(status.files, 1)
})

test('loadConfigFile loads TypeScript, resolves root next to the file, and reports errors with the file', async (t) => {
  const project = await makeTempProject({
    'hotreload.config.ts': `const debounce: number = 25\nexport default { root: 'sub', debounceMs: debounce }\n`,
    'broken.config.ts': `export default {\n  root: ,\n}\n`,
    'throws.config.ts': `const x = 1\nthrow new Error('boom at load')\nexport default {}\n`,
    'array.config.ts': `export default [1]\n`,
  })
  t.after(() => project.cleanup())
  const options = await loadConfigFile(project.path('hotreload.config.ts'))
  assert.equal(options.debounceMs, 25)
  assert.equal(options.root, project.path('sub'))

  await assert.rejects(loadConfigFile(project.path('missing.config.ts')), (e: unknown) => e instanceof ConfigFileError && /not found/.test(e.message))
  await assert.rejects(loadConfigFile(project.path('broken.config.ts')), (e: unknown) => {
    assert.ok(e instanceof ConfigFileError)
    assert.equal(e.path, project.path('broken.config.ts'))
    assert.equal(e.line, 2)
    return true
  })
  await assert.rejects(loadConfigFile(project.path('throws.config.ts')), /boom at load/)
  await assert.rejects(loadConfigFile(project.path('array.config.ts')), /must be an options object, got an array/)
})
