import assert from 'node:assert/strict'
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { createHotReload, defineReloadHandler } from '@hotreload/core'
import { BackupNotFoundError, BackupNotStartedError, BackupOptionsError, BackupPathError, backupPlugin } from '../src/index.js'
import { ContentStore, hashBytes } from '../src/store.js'
import { startProject } from './harness.js'
import { makeTempProject, waitFor } from '../../../test/helpers/index.js'

const sha = (text: string) => hashBytes(Buffer.from(text))

async function objectFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const shard of await readdir(join(dir, 'objects'))) for (const rest of await readdir(join(dir, 'objects', shard))) out.push(shard + rest)
  return out.sort()
}

test('the initial load stores every file; an edit backs up the previous version, 0600 in 0700', async (t) => {
  const h = await startProject(t, { 'config/app.json': '{"port":1}', 'config/db.json': '{"pool":5}' })
  const dir = h.backups.directory()
  assert.equal(dir, h.project.path('.hotreload/backups'))
  assert.deepEqual(await h.backups.list(), [], 'nothing was replaced yet')
  assert.deepEqual(await objectFiles(dir), [sha('{"port":1}'), sha('{"pool":5}')].sort(), 'but every current content is kept')

  const applied = await h.edit('config/app.json', '{"port":2}')
  assert.equal(applied.type, 'applied')
  assert.deepEqual(applied.type === 'applied' && [...applied.plugins].sort(), ['backup', 'json'])
  assert.deepEqual(h.applied.get('config/app.json'), { port: 2 })
  const [record, ...more] = await h.backups.list('config/app.json')
  assert.deepEqual(more, [])
  assert.ok(record)
  assert.equal(record.version, 2)
  assert.equal(record.kind, 'modified')
  assert.equal(record.hash, sha('{"port":1}'))
  assert.equal(record.size, 10)
  assert.ok(Math.abs(Date.parse(record.time) - Date.now()) < 60_000)
  const object = join(dir, 'objects', record.hash.slice(0, 2), record.hash.slice(2))
  assert.equal(await readFile(object, 'utf8'), '{"port":1}')

  const created = h.events.of('backup:created')
  assert.equal(created.length, 1)
  assert.deepEqual(created[0]?.backups, [record])
  assert.deepEqual(created[0]?.paths, ['config/app.json'])
  assert.equal(created[0]?.version, 2)

  assert.equal((await stat(object)).mode & 0o777, 0o600)
  assert.equal((await stat(join(dir, 'index.jsonl'))).mode & 0o777, 0o600)
  for (const d of [dir, join(dir, 'objects'), join(dir, 'objects', record.hash.slice(0, 2))]) assert.equal((await stat(d)).mode & 0o777, 0o700)
  assert.deepEqual(await h.backups.list('config/db.json'), [])
})

test('a deleted file is backed up and restored through a normal transaction', async (t) => {
  const h = await startProject(t, { 'config/app.json': '{"port":1}', 'config/feature.json': '{"on":true}' })
  const deleted = await h.edit('config/feature.json', null)
  assert.equal(deleted.type, 'applied')
  assert.equal(h.applied.has('config/feature.json'), false)
  const [record] = await h.backups.list('config/feature.json')
  assert.equal(record?.kind, 'deleted')
  assert.equal(record?.hash, sha('{"on":true}'))

  const result = await h.backups.restore('config/feature.json', record?.version ?? -1)
  assert.equal(result.status, 'applied')
  assert.deepEqual(result.changes, [{ kind: 'created', path: 'config/feature.json' }])
  assert.equal(await readFile(h.project.path('config/feature.json'), 'utf8'), '{"on":true}')
  assert.deepEqual(h.applied.get('config/feature.json'), { on: true })
  const restored = await h.events.next('backup:restored')
  assert.equal(restored.status, 'applied')
  assert.deepEqual(restored.restored, record)
})

test('restoring an invalid version is rejected like an edit; nothing on disk is lost', async (t) => {
  const h = await startProject(t, { 'config/app.json': '{"port":1}' })
  // Applied content is valid by definition, but a backup can hold content that no longer
  // validates (a stricter schema since, a backup directory copied from elsewhere): plant one.
  assert.equal((await h.edit('config/app.json', '{"port":2}')).type, 'applied')
  assert.equal((await h.edit('config/app.json', '{"port":3}')).type, 'applied')
  const index = join(h.backups.directory(), 'index.jsonl')
  const brokenHash = sha('{"port":')
  const [v2] = await h.backups.list('config/app.json')
  assert.equal(v2?.version, 2)
  await new ContentStore(h.backups.directory()).put(Buffer.from('{"port":'))
  const line = { type: 'backup', version: 9, time: new Date().toISOString(), path: 'config/app.json', kind: 'modified', hash: brokenHash, size: 8, batch: 'test' }
  await writeFile(index, JSON.stringify(line) + '\n', { flag: 'a' })

  const result = await h.backups.restore('config/app.json', 9)
  assert.equal(result.status, 'rejected')
  assert.equal(result.problems[0]?.path, 'config/app.json')
  assert.equal(result.problems[0]?.plugin, 'json')
  assert.deepEqual(h.applied.get('config/app.json'), { port: 3 }, 'the last good state keeps serving')
  assert.equal(h.reloader.status().version, 3)
  assert.equal(await readFile(h.project.path('config/app.json'), 'utf8'), '{"port":', 'the restore is on disk, as an edit would be')

  const saved = (await h.backups.list('config/app.json')).filter((r) => r.kind === 'restored')
  assert.equal(saved.length, 1, 'what the restore overwrote was backed up first')
  assert.equal(saved[0]?.hash, sha('{"port":3}'))
  const back = await h.backups.restore('config/app.json', saved[0]?.version ?? -1)
  assert.equal(back.status, 'applied', 'a restore always runs its transaction, even to content applied before')
  assert.deepEqual(h.applied.get('config/app.json'), { port: 3 })
  assert.equal(await readFile(h.project.path('config/app.json'), 'utf8'), '{"port":3}')
})

test('restore of a version that was never backed up, or of a hostile path, is refused', async (t) => {
  const h = await startProject(t, { 'config/app.json': '{"port":1}' })
  await h.edit('config/app.json', '{"port":2}')
  await assert.rejects(h.backups.restore('config/app.json', 7), (e: unknown) => {
    assert.ok(e instanceof BackupNotFoundError)
    assert.match(e.message, /no backup of config\/app.json at version 7/)
    assert.match(e.hint ?? '', /versions 2/)
    return true
  })
  await assert.rejects(h.backups.restore('config/app.json', 1.5), BackupNotFoundError)
  for (const hostile of ['../../etc/x', '/etc/passwd', 'config/../../x']) {
    await assert.rejects(h.backups.restore(hostile, 2), BackupPathError)
    await assert.rejects(h.backups.list(hostile), BackupPathError)
  }
  assert.equal(await readFile(h.project.path('config/app.json'), 'utf8'), '{"port":2}')
})

test('a backup directory that cannot be written blocks the transaction: rolled back, state kept', async (t) => {
  const h = await startProject(t, { 'config/app.json': '{"port":1}' })
  await rm(h.backups.directory(), { recursive: true })
  await writeFile(h.backups.directory(), 'a file where the directory should be')

  const outcome = await h.edit('config/app.json', '{"port":2}')
  assert.equal(outcome.type, 'rolled-back')
  assert.equal(outcome.type === 'rolled-back' && outcome.error.code, 'HR_BACKUP_WRITE')
  assert.equal(outcome.type === 'rolled-back' && outcome.error.plugin, 'backup')
  assert.deepEqual(h.applied.get('config/app.json'), { port: 1 }, 'no plugin applied the change')
  assert.equal(h.reloader.status().version, 1)
  assert.equal(h.events.of('backup:created').length, 0)
})

test('onError: "warn" applies without the backup and emits backup:failed', async (t) => {
  const h = await startProject(t, { 'config/app.json': '{"port":1}' }, { onError: 'warn' })
  await rm(h.backups.directory(), { recursive: true })
  await writeFile(h.backups.directory(), 'a file where the directory should be')

  const outcome = await h.edit('config/app.json', '{"port":2}')
  assert.equal(outcome.type, 'applied')
  assert.deepEqual(h.applied.get('config/app.json'), { port: 2 })
  const failed = await h.events.next('backup:failed')
  assert.equal(failed.error.code, 'HR_BACKUP_WRITE')
  assert.deepEqual(failed.paths, ['config/app.json'])
})

test('a rollback caused by another plugin revokes the backups of that transaction', async (t) => {
  const h = await startProject(t, { 'config/app.json': '{"port":1}' }, {}, { failOn: '{"port":666}' })
  assert.equal((await h.edit('config/app.json', '{"port":666}')).type, 'rolled-back')
  assert.deepEqual(await h.backups.list(), [], 'the rolled-back transaction left no backup')
  assert.equal((await h.edit('config/app.json', '{"port":2}')).type, 'applied')
  const records = await h.backups.list('config/app.json')
  assert.deepEqual(
    records.map((r) => [r.version, r.hash]),
    [[2, sha('{"port":1}')]],
    'the backup is of the last applied content, not of the rolled-back one',
  )
})

test('the backup directory is never watched, even inside the watched globs', async (t) => {
  const h = await startProject(t, { 'config/app.json': '{"port":1}' }, { outDir: 'config/backups' })
  assert.equal(h.backups.directory(), h.project.path('config/backups'))
  assert.equal(h.reloader.status().files, 1)
  await h.edit('config/app.json', '{"port":2}')
  await h.edit('config/app.json', '{"port":3}')
  assert.ok((await objectFiles(h.backups.directory())).length >= 3)
  // A manual full reload rescans everything on disk: still only the config file.
  const full = await h.reloader.reload()
  assert.equal(full.status, 'unchanged')
  const touched = h.reloader.history().flatMap((r) => r.changes.map((c) => c.path))
  assert.ok(touched.every((p) => !p.startsWith('config/backups')), touched.join(', '))
  assert.equal(h.reloader.status().files, 1)
})

test('a renamed file is backed up under the path it left', async (t) => {
  const h = await startProject(t, { 'config/old.json': '{"a":1}' })
  await rename(h.project.path('config/old.json'), h.project.path('config/new.json'))
  // The kernel reports a rename as one `renamed` change or as a create and a delete,
  // depending on how the watcher's events fall into batches: either way the old path is kept.
  const records = await waitFor(async () => {
    const r = await h.backups.list('config/old.json')
    return r.length > 0 ? r : undefined
  })
  assert.equal(records.length, 1)
  assert.equal(records[0]?.hash, sha('{"a":1}'))
  assert.ok(records[0]?.kind === 'renamed' || records[0]?.kind === 'deleted')
  const back = await h.backups.restore('config/old.json', records[0]?.version ?? -1)
  assert.equal(back.status, 'applied')
  assert.equal(await readFile(h.project.path('config/old.json'), 'utf8'), '{"a":1}')
})

test('retention keeps the last N versions per file and collects unreferenced objects', async (t) => {
  const h = await startProject(t, { 'config/app.json': '{"v":0}', 'config/other.json': '{"x":0}' }, { keepVersions: 2 })
  await h.edit('config/other.json', '{"x":1}')
  for (let v = 1; v <= 4; v++) await h.edit('config/app.json', `{"v":${v}}`)
  const records = await waitFor(async () => {
    const r = await h.backups.list('config/app.json')
    return r.length === 2 ? r : undefined
  })
  assert.deepEqual(records.map((r) => r.hash), [sha('{"v":2}'), sha('{"v":3}')])
  assert.deepEqual((await h.backups.list('config/other.json')).map((r) => r.hash), [sha('{"x":0}')], 'the newest backup of a file stays')
  // Pruning runs in the notify hook, after the `applied` event: wait for it to collect.
  const expected = [sha('{"v":2}'), sha('{"v":3}'), sha('{"v":4}'), sha('{"x":0}'), sha('{"x":1}')].sort()
  await waitFor(async () => JSON.stringify(await objectFiles(h.backups.directory())) === JSON.stringify(expected), {
    message: 'backed-up and current contents only',
  })
  // {"v":0} and {"v":1}, in one pass or two; the event follows the collection.
  await waitFor(() => h.events.of('backup:pruned').reduce((n, e) => n + e.removedObjects, 0) === 2, { message: 'backup:pruned events' })
})

test('prune(policy) with maxTotalBytes and maxAgeMs never removes the newest backup of a file', async (t) => {
  const h = await startProject(t, { 'config/a.json': '{"a":0}', 'config/b.json': '{"b":0}' })
  for (let v = 1; v <= 3; v++) await h.edit('config/a.json', `{"a":${v}}`)
  await h.edit('config/b.json', '{"b":1}')
  assert.equal((await h.backups.list()).length, 4)
  const result = await h.backups.prune({ maxTotalBytes: 0, maxAgeMs: 0 })
  assert.equal(result.removedBackups, 2)
  assert.equal(result.keptBackups, 2)
  assert.equal(result.removedObjects, 2)
  assert.equal(result.freedBytes, 14)
  assert.deepEqual(
    (await h.backups.list()).map((r) => `${r.path}:${r.hash}`),
    [`config/a.json:${sha('{"a":2}')}`, `config/b.json:${sha('{"b":0}')}`],
  )
  const again = await h.backups.prune()
  assert.deepEqual(again, { removedBackups: 0, removedObjects: 0, freedBytes: 0, keptBackups: 2 })
})

test('a backup directory at or above the root is refused, since it is excluded from watching', async (t) => {
  const h = await startProject(t, { 'config/app.json': '{}' }, {}, { watch: false })
  for (const dir of ['.', '..', h.project.root]) {
    // A dry run: the running instance holds the root's writer lock.
    await assert.rejects(createHotReload({ root: h.project.root, watch: false, dryRun: true, plugins: [backupPlugin({ outDir: dir })] }), BackupOptionsError, dir)
  }
})

test('the API refuses to run before the plugin is applied and after close', async (t) => {
  const early = backupPlugin()
  await assert.rejects(early.list(), BackupNotStartedError)
  assert.throws(() => early.directory(), BackupNotStartedError)
  const h = await startProject(t, { 'config/app.json': '{}' })
  await h.reloader.close()
  await assert.rejects(h.backups.restore('config/app.json', 1), (e: unknown) => e instanceof BackupNotStartedError && /after the instance closed/.test(e.message))
})

test('edits and deletions made while no process was watching are backed up at the next start', async (t) => {
  const first = await startProject(t, { 'config/app.json': '{"port":1}', 'config/gone.json': '{"g":1}', 'config/same.json': '{}' }, {}, { watch: false })
  const dir = first.backups.directory()
  assert.equal((await stat(join(dir, 'applied.json'))).mode & 0o777, 0o600)
  await first.reloader.close()

  await writeFile(first.project.path('config/app.json'), '{"port":2}')
  await rm(first.project.path('config/gone.json'))
  const second = backupPlugin()
  const reloader = await createHotReload({ root: first.project.root, include: ['config/**'], watch: false, plugins: [second] })
  t.after(() => reloader.close())
  const records = await second.list()
  assert.deepEqual(
    records.map((r) => [r.path, r.kind, r.version, r.hash]),
    [
      // Version 2: the second process continues from the version the first one committed.
      ['config/app.json', 'modified', 2, sha('{"port":1}')],
      ['config/gone.json', 'deleted', 2, sha('{"g":1}')],
    ],
  )
  const back = await second.restore('config/gone.json', 2)
  assert.equal(back.status, 'applied')
  assert.equal(await readFile(first.project.path('config/gone.json'), 'utf8'), '{"g":1}')
})

test('content missing from the store cannot be backed up: the edit applies and backup:failed says so', async (t) => {
  const h = await startProject(t, { 'config/app.json': '{"port":1}' })
  await rm(join(h.backups.directory(), 'objects'), { recursive: true })
  const outcome = await h.edit('config/app.json', '{"port":2}')
  assert.equal(outcome.type, 'applied', 'blocking could not bring the old bytes back')
  const failed = await h.events.next('backup:failed')
  assert.match(failed.error.message, /previous content of config\/app.json was not in the backup store/)
  // The new content is stored again, so the next edit is backed up normally.
  await h.edit('config/app.json', '{"port":3}')
  assert.deepEqual((await h.backups.list('config/app.json')).map((r) => r.hash), [sha('{"port":2}')])
})

test('restoring the content a file already has changes nothing', async (t) => {
  const h = await startProject(t, { 'config/app.json': '{"port":1}' })
  await h.edit('config/app.json', '{"port":2}')
  await h.edit('config/app.json', '{"port":1}')
  const result = await h.backups.restore('config/app.json', 2)
  assert.equal(result.status, 'unchanged')
  assert.equal(h.events.of('backup:restored').length, 0)
  assert.equal((await h.backups.list('config/app.json')).filter((r) => r.kind === 'restored').length, 0)
})

test('the backup is taken before any other plugin applies, whatever the plugin order', async (t) => {
  const project = await makeTempProject({ 'config/app.json': '{"port":1}' })
  const backups = backupPlugin()
  const seenByProbe: number[] = []
  const listedByProbe: number[] = []
  const probe = defineReloadHandler({
    name: 'probe',
    files: 'config/**',
    async handleChange(change) {
      // The index line is written (pending) in the backup's apply; list() shows it once committed.
      const index = await readFile(join(backups.directory(), 'index.jsonl'), 'utf8').catch(() => '')
      seenByProbe.push(index.split('\n').filter((l) => l.includes(`"path":"${change.path}"`)).length)
      listedByProbe.push((await backups.list(change.path)).length)
    },
  })
  // The probe comes first in the list; the backup's stage -100 still runs it first.
  const reloader = await createHotReload({ root: project.root, include: ['config/**'], watch: false, plugins: [probe, backups] })
  t.after(async () => {
    await reloader.close()
    await project.cleanup()
  })
  await writeFile(project.path('config/app.json'), '{"port":2}')
  assert.equal((await reloader.reload({ paths: ['config/app.json'] })).status, 'applied')
  assert.deepEqual(seenByProbe, [0, 1], 'initial load: nothing to back up; the edit: backed up before the probe ran')
  assert.deepEqual(listedByProbe, [0, 0], 'list() shows no backup of a transaction that has not committed yet')
  assert.equal((await backups.list('config/app.json')).length, 1, 'it does once the transaction committed')
})

test('a file deleted with its directory is restored, directory and all', async (t) => {
  const h = await startProject(t, { 'config/app.json': '{}', 'config/deep/nested/x.json': '{"x":1}' })
  const since = h.events.events.length
  await h.project.remove('config/deep')
  await h.events.next('applied', (e) => e.paths.includes('config/deep/nested/x.json'), since)
  const [record] = await h.backups.list('config/deep/nested/x.json')
  assert.equal(record?.kind, 'deleted')
  const result = await h.backups.restore('config/deep/nested/x.json', record?.version ?? -1)
  assert.equal(result.status, 'applied')
  assert.deepEqual(h.applied.get('config/deep/nested/x.json'), { x: 1 })
})

test('a rename onto an existing file backs up both contents', async (t) => {
  const h = await startProject(t, { 'config/old.json': '{"a":1}', 'config/new.json': '{"b":1}' })
  await rename(h.project.path('config/old.json'), h.project.path('config/new.json'))
  const records = await waitFor(async () => {
    const r = await h.backups.list()
    return r.length >= 2 ? r : undefined
  })
  assert.deepEqual(
    records.map((r) => [r.path, r.hash]).sort(),
    [
      ['config/new.json', sha('{"b":1}')],
      ['config/old.json', sha('{"a":1}')],
    ],
  )
})

test('backup versions never repeat across restarts, so restore(path, version) stays unambiguous', async (t) => {
  const project = await makeTempProject({ 'config/app.json': '{"v":0}' })
  t.after(() => project.cleanup())
  const versions: number[][] = []
  for (const run of [1, 2]) {
    const backups = backupPlugin()
    const reloader = await createHotReload({ root: project.root, include: ['config/**'], watch: false, plugins: [backups] })
    for (const step of [1, 2]) {
      await writeFile(project.path('config/app.json'), `{"v":"${run}.${step}"}`)
      assert.equal((await reloader.reload({ paths: ['config/app.json'] })).status, 'applied')
    }
    versions.push((await backups.list('config/app.json')).map((r) => r.version))
    await reloader.close()
  }
  const all = versions.at(-1) ?? []
  assert.equal(all.length, 4, JSON.stringify(versions))
  assert.deepEqual(all, [...all].sort((a, b) => a - b), 'versions only grow')
  assert.equal(new Set(all).size, 4, `no version is used twice: ${all.join(', ')}`)
  assert.ok((all[2] ?? 0) > (all[1] ?? 0), 'the second run continues after the first')

  const backups = backupPlugin()
  const reloader = await createHotReload({ root: project.root, include: ['config/**'], watch: false, plugins: [backups] })
  t.after(() => reloader.close())
  const record = await backups.restore('config/app.json', all[1] ?? -1)
  assert.equal(record.status, 'applied')
  assert.equal(record.reason, 'restore')
  assert.equal(await readFile(project.path('config/app.json'), 'utf8'), '{"v":"1.1"}')
})

test('a dry-run instance backs up nothing and writes nothing, and list() still reads the index', async (t) => {
  const first = await startProject(t, { 'config/app.json': '{"port":1}' }, {}, { watch: false })
  await first.project.write('config/app.json', '{"port":2}')
  assert.equal((await first.reloader.reload({ paths: ['config/app.json'] })).status, 'applied')
  const dir = first.backups.directory()
  await first.reloader.close()
  const before = await snapshotTree(dir)

  await first.project.write('config/app.json', '{"port":3}')
  const dry = backupPlugin()
  const reloader = await createHotReload({ root: first.project.root, include: ['config/**'], watch: false, dryRun: true, plugins: [dry] })
  t.after(() => reloader.close())
  assert.equal(reloader.status().last?.status, 'dry-run')
  assert.deepEqual((await dry.list()).map((r) => [r.path, r.version, r.hash]), [['config/app.json', 2, sha('{"port":1}')]])
  assert.deepEqual(await snapshotTree(dir), before, 'no object, index line or applied.json written')

  const fresh = await makeTempProject({ 'config/app.json': '{}' })
  t.after(() => fresh.cleanup())
  const none = backupPlugin()
  const dryFresh = await createHotReload({ root: fresh.root, include: ['config/**'], watch: false, dryRun: true, plugins: [none] })
  t.after(() => dryFresh.close())
  assert.deepEqual(await none.list(), [])
  assert.deepEqual(await readdir(fresh.root), ['config'], 'not even .hotreload/ was created')
})

/** Every file under `dir` with its bytes, to compare before and after. */
async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const d of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (d.isFile()) out[join(d.parentPath, d.name)] = await readFile(join(d.parentPath, d.name), 'hex')
  }
  return out
}
