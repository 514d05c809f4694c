import assert from 'node:assert/strict'
import { mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { BackupCorruptError, BackupPathError, BackupWriteError } from '../src/errors.js'
import { ContentStore, hashBytes } from '../src/store.js'
import { makeTempProject } from '../../../test/helpers/index.js'

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const project = await makeTempProject()
  t.after(() => project.cleanup())
  const store = new ContentStore(project.path('.hotreload/backups'))
  return { project, store }
}

test('put stores content once under objects/ab/cdef..., 0600 files in 0700 directories', async (t) => {
  const { store } = await setup(t)
  await store.ensure()
  const bytes = Buffer.from('port = 8080\n')
  const first = await store.put(bytes)
  const second = await store.put(Buffer.from('port = 8080\n'))
  assert.equal(first.hash, hashBytes(bytes))
  assert.equal(first.size, bytes.byteLength)
  assert.equal(first.written, true)
  assert.equal(second.written, false, 'identical content is stored once')

  const path = join(store.objectsDir, first.hash.slice(0, 2), first.hash.slice(2))
  assert.equal(store.objectPath(first.hash), path)
  assert.deepEqual(await readFile(path), bytes)
  assert.equal((await stat(path)).mode & 0o777, 0o600)
  for (const dir of [store.dir, store.objectsDir, join(store.objectsDir, first.hash.slice(0, 2))]) {
    assert.equal((await stat(dir)).mode & 0o777, 0o700, dir)
  }
  assert.deepEqual(await store.list(), [{ hash: first.hash, size: bytes.byteLength }])
})

test('ensure tightens an existing backup directory to 0700', async (t) => {
  const { project, store } = await setup(t)
  await mkdir(project.path('.hotreload/backups'), { recursive: true, mode: 0o755 })
  await store.ensure()
  assert.equal((await stat(store.dir)).mode & 0o777, 0o700)
})

test('get verifies the content against its hash', async (t) => {
  const { store } = await setup(t)
  await store.ensure()
  const { hash } = await store.put(Buffer.from('a: 1\n'))
  assert.equal((await store.get(hash)).toString(), 'a: 1\n')
  await writeFile(store.objectPath(hash), 'a: 2\n')
  await assert.rejects(store.get(hash), BackupCorruptError)
  await assert.rejects(store.get(hashBytes(Buffer.from('never stored'))), BackupCorruptError)
})

test('object paths come only from a sha256: hostile names are refused', async (t) => {
  const { store } = await setup(t)
  for (const hostile of ['../../etc/x', '/etc/passwd', 'ab/../../..', '0'.repeat(63), 'G'.repeat(64), `../${'a'.repeat(62)}`]) {
    assert.throws(() => store.objectPath(hostile), BackupPathError, hostile)
    await assert.rejects(store.get(hostile), BackupPathError)
    await assert.rejects(store.remove(hostile), BackupPathError)
  }
})

test('a shard directory that links outside the backup directory receives nothing', async (t) => {
  const { project, store } = await setup(t)
  await store.ensure()
  const outside = project.path('elsewhere')
  await mkdir(outside)
  const bytes = Buffer.from('secret = true\n')
  const hash = hashBytes(bytes)
  await symlink(outside, join(store.objectsDir, hash.slice(0, 2)))
  await assert.rejects(store.put(bytes), BackupPathError)
  assert.deepEqual(await readdir(outside), [])
})

test('ensure fails with BackupWriteError when the backup directory path is a regular file', async (t) => {
  const { project, store } = await setup(t)
  await project.write('.hotreload/backups', 'not a directory')
  await assert.rejects(store.ensure(), (error: unknown) => {
    assert.ok(error instanceof BackupWriteError)
    assert.equal(error.code, 'HR_BACKUP_WRITE')
    assert.match(error.message, /cannot create the backup directory/)
    assert.ok(error.hint)
    return true
  })
})

test('remove frees the bytes and list skips what is not an object', async (t) => {
  const { store } = await setup(t)
  await store.ensure()
  const a = await store.put(Buffer.from('aaaa'))
  const b = await store.put(Buffer.from('bb'))
  await writeFile(join(store.objectsDir, a.hash.slice(0, 2), '.leftover.tmp'), 'x')
  await writeFile(join(store.objectsDir, 'README'), 'x')
  assert.equal((await store.list()).length, 2)
  assert.equal(await store.remove(a.hash), 4)
  assert.equal(await store.remove(a.hash), 0)
  assert.deepEqual(await store.list(), [{ hash: b.hash, size: 2 }])
  assert.equal(await store.has(a.hash), false)
  assert.equal(await store.has(b.hash), true)
})
