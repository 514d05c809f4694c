import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { chmod, mkdir, open, rename, symlink, utimes } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { FileState } from '../src/file-state.js'
import { createPathMatcher } from '../src/path-matcher.js'
import { DEFAULT_IGNORE, DEFAULT_INCLUDE } from '../src/options.js'
import type { FileChange } from '../src/changes.js'
import { makeTempProject, type TempProject } from '../../../test/helpers/index.js'

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')
const summary = (changes: readonly FileChange[]) => changes.map((c) => (c.from ? `${c.kind} ${c.from} -> ${c.path}` : `${c.kind} ${c.path}`))

async function setup(t: { after(fn: () => Promise<void>): void }, files: Record<string, string>, options?: { inlineLimitBytes?: number; emptySettleMs?: number }) {
  const project = await makeTempProject(files)
  t.after(() => project.cleanup())
  const matcher = createPathMatcher(project.root, DEFAULT_INCLUDE, DEFAULT_IGNORE)
  const state = new FileState(project.root, matcher, options)
  const initial = await state.reconcile(await state.scan())
  state.commit(initial.changes)
  state.release()
  return { project, matcher, state, initial }
}

test('scan lists the watched files, sorted, skipping excluded ones, following symlinks and stopping at symlink loops', async (t) => {
  const project: TempProject = await makeTempProject({
    'config/b.json': '{}',
    'config/a/deep.yaml': 'a: 1',
    'templates/page.hbs': 'x',
    'static/logo.svg': '<svg/>',
    'config/.hidden.json': '{}',
    'config/app.json~': 'old',
    '.hotreload/backups/config/b.json': '{}',
    'static/node_modules/lib/index.css': '',
    'src/index.ts': '',
    'README.md': '',
  })
  t.after(() => project.cleanup())
  await symlink(project.path('config/b.json'), project.path('config/link.json'))
  await symlink(project.path('config'), project.path('templates/loop'))
  await symlink(project.path('config'), project.path('config/a/up'))
  const state = new FileState(project.root, createPathMatcher(project.root, DEFAULT_INCLUDE, DEFAULT_IGNORE))
  assert.deepEqual(await state.scan(), ['config/a/deep.yaml', 'config/b.json', 'config/link.json', 'static/logo.svg', 'templates/loop/a/deep.yaml', 'templates/loop/b.json', 'templates/loop/link.json', 'templates/page.hbs'])
  assert.deepEqual(await state.scan('config/a'), ['config/a/deep.yaml'])
  assert.deepEqual(await state.scan('src'), [], 'a directory that cannot hold watched files')
  assert.deepEqual(await state.scan('config/missing'), [])
})

test('the first reconcile creates every file with its fingerprint; the same state again is all no-ops', async (t) => {
  const { state, initial, project } = await setup(t, { 'config/a.json': '{"a":1}', 'templates/t.hbs': 'hello' })
  assert.deepEqual(summary(initial.changes), ['created config/a.json', 'created templates/t.hbs'])
  const a = initial.changes[0]
  assert.equal(a?.fingerprint?.hash, sha256('{"a":1}'))
  assert.equal(a?.fingerprint?.size, 7)
  assert.equal(a?.absolutePath, project.path('config/a.json'))
  assert.equal(state.baseline().get('templates/t.hbs')?.hash, sha256('hello'))
  const again = await state.reconcile(['config/a.json', 'templates/t.hbs'])
  assert.deepEqual(again, { changes: [], noops: ['config/a.json', 'templates/t.hbs'], unreadable: [] })
})

test('identical bytes and a touch are no-ops; force makes them modified', async (t) => {
  const { state, project } = await setup(t, { 'config/a.json': '{"a":1}', 'config/b.json': '{"b":1}' })
  await project.write('config/a.json', '{"a":1}')
  const later = new Date(Date.now() + 60_000)
  await utimes(project.path('config/b.json'), later, later)
  assert.deepEqual(await state.reconcile(['config/a.json', 'config/b.json']), { changes: [], noops: ['config/a.json', 'config/b.json'], unreadable: [] })
  const forced = await state.reconcile(['config/a.json', 'config/b.json'], { force: ['config/b.json'] })
  assert.deepEqual(summary(forced.changes), ['modified config/b.json'])
  assert.deepEqual(forced.noops, ['config/a.json'])
})

test('a file created and deleted again is nothing; deleted and re-created with new bytes is modified', async (t) => {
  const { state, project } = await setup(t, { 'config/a.json': '{"a":1}' })
  await project.write('config/fleeting.json', '{}')
  await project.remove('config/fleeting.json')
  await project.remove('config/a.json')
  await project.write('config/a.json', '{"a":2}')
  const result = await state.reconcile(['config/fleeting.json', 'config/a.json'])
  assert.deepEqual(summary(result.changes), ['modified config/a.json'])
  assert.equal(result.changes[0]?.previous?.hash, sha256('{"a":1}'))
  assert.equal(result.changes[0]?.fingerprint?.hash, sha256('{"a":2}'))
  assert.deepEqual(result.noops, ['config/fleeting.json'])
})

test('an unlink and an add of the same content is one renamed change; the batch is ordered deletes, creates and renames, modifies', async (t) => {
  const { state, project } = await setup(t, { 'config/old.json': '{"moved":true}', 'config/gone.json': '{"gone":1}', 'config/m.json': '1', 'templates/z.hbs': 'z' })
  await rename(project.path('config/old.json'), project.path('config/new.json'))
  await project.remove('config/gone.json')
  await project.write('config/m.json', '2')
  await project.write('templates/a.hbs', 'fresh')
  await project.write('templates/z.hbs', 'zz')
  const result = await state.reconcile(['templates/z.hbs', 'config/m.json', 'templates/a.hbs', 'config/new.json', 'config/old.json', 'config/gone.json'])
  assert.deepEqual(summary(result.changes), ['deleted config/gone.json', 'renamed config/old.json -> config/new.json', 'created templates/a.hbs', 'modified config/m.json', 'modified templates/z.hbs'])
  const renamed = result.changes[1]
  assert.equal(renamed?.previous?.hash, sha256('{"moved":true}'))
  assert.equal(renamed?.fingerprint?.hash, sha256('{"moved":true}'))

  state.commit(result.changes)
  assert.deepEqual([...state.baseline().keys()].sort(), ['config/m.json', 'config/new.json', 'templates/a.hbs', 'templates/z.hbs'])
  assert.equal(state.baseline().get('config/m.json')?.hash, sha256('2'))
})

test('read() returns the reconciled bytes, re-reads after release(), and rejects when the file moved on or was deleted', async (t) => {
  const { state, project } = await setup(t, { 'config/a.json': '{"a":1}', 'config/b.json': '{}' })
  await project.write('config/a.json', '{"a":2}')
  await project.remove('config/b.json')
  const { changes } = await state.reconcile(['config/a.json', 'config/b.json'])
  const [deleted, modified] = changes as [FileChange, FileChange]
  assert.equal((await state.read(modified)).toString(), '{"a":2}')
  await assert.rejects(state.read(deleted), { code: 'HR_FILE_DELETED', path: 'config/b.json' })

  state.release()
  assert.equal((await state.read(modified)).toString(), '{"a":2}', 're-read from disk, same hash')
  await project.write('config/a.json', '{"a":3}')
  await assert.rejects(state.read(modified), (error: Error & { code?: string; hint?: string }) => {
    assert.equal(error.code, 'HR_FILE_CHANGED')
    assert.match(error.message, /config\/a\.json changed on disk/)
    assert.ok(error.hint)
    return true
  })
})

test('files over the inline limit are stream-hashed, not kept, and read back by hash', async (t) => {
  const big = 'x'.repeat(64 * 1024)
  const { state, project, initial } = await setup(t, { 'static/big.bin': big }, { inlineLimitBytes: 1024 })
  assert.equal(initial.changes[0]?.fingerprint?.hash, sha256(big))
  assert.equal(initial.changes[0]?.fingerprint?.size, big.length)
  const bigger = big + 'y'
  await project.write('static/big.bin', bigger)
  const { changes } = await state.reconcile(['static/big.bin'])
  assert.equal(changes[0]?.fingerprint?.hash, sha256(bigger))
  assert.equal((await state.read(changes[0] as FileChange)).toString(), bigger)
})

test('a path that became a directory, or that the matcher stopped watching, counts as deleted', async (t) => {
  const { state, project, matcher } = await setup(t, { 'static/a.css': 'a', 'static/b.css': 'b' })
  await project.remove('static/a.css')
  await mkdir(project.path('static/a.css'))
  matcher.exclude([project.path('static/b.css')])
  const result = await state.reconcile(['static/a.css', 'static/b.css'])
  assert.deepEqual(summary(result.changes), ['deleted static/a.css', 'deleted static/b.css'])
  assert.deepEqual(state.under('static').sort(), ['static/a.css', 'static/b.css'])
})

test('a file rewritten while it is read never yields torn bytes: what read() returns always matches the fingerprint', async (t) => {
  const { state, project } = await setup(t, { 'static/data.txt': 'start' })
  const versions = Array.from({ length: 40 }, (_, i) => `${String(i).repeat(2000)}|end`)
  let writing = true
  const writer = (async () => {
    for (let round = 0; writing && round < 200; round++) {
      for (const content of versions) {
        // Truncate, then write in two halves: a reader can land between the steps.
        const handle = await open(project.path('static/data.txt'), 'w')
        await handle.write(content.slice(0, 1000))
        await handle.write(content.slice(1000))
        await handle.close()
      }
    }
  })()
  try {
    for (let i = 0; i < 30; i++) {
      const { changes } = await state.reconcile(['static/data.txt'])
      for (const change of changes) {
        const bytes = await state.read(change)
        assert.equal(sha256(bytes), change.fingerprint?.hash)
        assert.equal(bytes.length, change.fingerprint?.size)
      }
      state.commit(changes)
      state.release()
    }
  } finally {
    writing = false
    await writer
  }
  await project.write('static/data.txt', 'final')
  const last = await state.reconcile(['static/data.txt'])
  assert.equal((await state.read(last.changes[0] as FileChange)).toString(), 'final')
})

const isRoot = process.getuid?.() === 0

test(
  isRoot
    ? 'a file the process may not read (root-owned 600, reconciled as nobody in a child process) is returned as unreadable, not thrown'
    : 'a file the process may not read (mode 000) is returned as unreadable, not thrown',
  async (t) => {
    const project = await makeTempProject({ 'config/open.json': '{}', 'config/locked.json': '{"secret":1}' })
    t.after(() => project.cleanup())
    await chmod(project.path('config/locked.json'), isRoot ? 0o600 : 0o000)
    let result: { changes: string[]; noops: string[]; unreadable: { path: string; code?: string }[] }
    if (isRoot) {
      await chmod(project.root, 0o755)
      const fixture = fileURLToPath(new URL('./fixtures/reconcile-and-report.ts', import.meta.url))
      const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', fixture, project.root, 'config/open.json', 'config/locked.json'], {
        cwd: fileURLToPath(new URL('../../../', import.meta.url)),
        uid: 65534,
        gid: 65534,
        timeout: 30_000,
      })
      result = JSON.parse(stdout) as typeof result
    } else {
      const state = new FileState(project.root, createPathMatcher(project.root, DEFAULT_INCLUDE, DEFAULT_IGNORE))
      const { changes, noops, unreadable } = await state.reconcile(['config/open.json', 'config/locked.json'])
      result = { changes: summary(changes), noops: [...noops], unreadable: unreadable.map(({ path, error }) => ({ path, code: (error as NodeJS.ErrnoException).code })) }
    }
    assert.deepEqual(result, { changes: ['created config/open.json'], noops: [], unreadable: [{ path: 'config/locked.json', code: 'EACCES' }] })
  },
)

test('an emptied file is given time to be written: a write after the truncate is what the change holds', async (t) => {
  const { project, state } = await setup(t, { 'config/app.json': '{"n":1}' }, { emptySettleMs: 5_000 })
  // A slow writer: it truncates, and writes the new content 200 ms later (the scenario, not a
  // wait: the reconcile's first read of the empty file is long done by then).
  const handle = await open(project.path('config/app.json'), 'w')
  t.after(() => handle.close())
  const reconciling = state.reconcile(['config/app.json'])
  const writer = setTimeout(() => void handle.writeFile('{"n":2}'), 200)
  t.after(() => clearTimeout(writer))
  const { changes } = await reconciling
  assert.deepEqual(summary(changes), ['modified config/app.json'])
  assert.equal(changes[0]?.fingerprint?.hash, sha256('{"n":2}'))
})

test('a file emptied on purpose is an empty modified change once the settle time is over; a new empty file is at once', async (t) => {
  const { project, state } = await setup(t, { 'config/app.json': '{"n":1}' }, { emptySettleMs: 30 })
  await project.write('config/app.json', '')
  await project.write('config/new.json', '')
  const { changes } = await state.reconcile(['config/app.json', 'config/new.json'])
  assert.deepEqual(summary(changes), ['created config/new.json', 'modified config/app.json'])
  assert.equal(changes.find((c) => c.path === 'config/app.json')?.fingerprint?.size, 0)
})
