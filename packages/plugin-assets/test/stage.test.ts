import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { test } from 'node:test'
import type { FileChange } from '@hotreload/core'
import { makeTempProject, type TempProject } from '../../../test/helpers/index.js'
import { READ_VIA_CORE_LIMIT, stageAssets, type StageContext } from '../src/stage.js'
import type { ManifestEntry } from '../src/types.js'

async function created(project: TempProject, path: string): Promise<FileChange> {
  const bytes = await readFile(project.path(path))
  const s = await stat(project.path(path))
  return { kind: 'created', path, absolutePath: project.path(path), fingerprint: { size: bytes.length, mtimeMs: s.mtimeMs, hash: createHash('sha256').update(bytes).digest('hex') } }
}

function context(current: Map<string, ManifestEntry>, extra: Partial<StageContext> = {}): StageContext & { hashedCount: () => number } {
  let n = 0
  return {
    current,
    logicalOf: (p) => (p.startsWith('static/') ? p.slice('static/'.length) : undefined),
    hashLength: 8,
    onHashed: () => void n++,
    hashedCount: () => n,
    ...extra,
  }
}

test('the in-memory path (core sha256 + sha384) and the streaming path (both hashes) give identical entries', async (t) => {
  const project = await makeTempProject({ 'static/a.css': 'body{}', 'static/big.bin': randomBytes(READ_VIA_CORE_LIMIT + 10) })
  t.after(() => project.cleanup())
  const changes = [await created(project, 'static/a.css'), await created(project, 'static/big.bin')]
  const streamed = await stageAssets(changes, context(new Map()))
  const viaCore = await stageAssets(changes, context(new Map(), { read: (c) => readFile(c.absolutePath) }))
  assert.deepEqual([...viaCore.entries], [...streamed.entries])
  assert.deepEqual(streamed.errors, [])
  assert.deepEqual(viaCore.updates.map((u) => [u.kind, u.logicalPath]), [['created', 'a.css'], ['created', 'big.bin']])
})

test('every unreadable asset is reported, not just the first, and the others still stage', async (t) => {
  const project = await makeTempProject({ 'static/ok.css': 'ok', 'static/x.css': 'x', 'static/y.css': 'y' })
  t.after(() => project.cleanup())
  const changes = await Promise.all(['static/ok.css', 'static/x.css', 'static/y.css'].map((p) => created(project, p)))
  await project.remove('static/x.css')
  await project.remove('static/y.css')
  const staged = await stageAssets(changes, context(new Map()))
  assert.deepEqual(staged.errors.map((e) => [e.code, e.path]), [['HR_ASSETS_UNREADABLE', 'static/x.css'], ['HR_ASSETS_UNREADABLE', 'static/y.css']])
  assert.deepEqual([...staged.entries.keys()], ['ok.css'])
})

test('changes outside the asset directory are ignored; a rename out of it is a deletion', async (t) => {
  const project = await makeTempProject({ 'static/a.css': 'a', 'elsewhere/a.css': 'a' })
  t.after(() => project.cleanup())
  const first = await stageAssets([await created(project, 'static/a.css'), await created(project, 'elsewhere/a.css')], context(new Map()))
  assert.deepEqual([...first.entries.keys()], ['a.css'])
  const moved: FileChange = { ...(await created(project, 'elsewhere/a.css')), kind: 'renamed', from: 'static/a.css' }
  const ctx = context(first.entries)
  const second = await stageAssets([moved], ctx)
  assert.deepEqual([...second.entries.keys()], [])
  assert.deepEqual(second.updates.map((u) => [u.kind, u.logicalPath]), [['deleted', 'a.css']])
  assert.equal(ctx.hashedCount(), 0)
})

test('with an output directory, staging plans the missing copies and writes nothing anywhere', async (t) => {
  const project = await makeTempProject({ 'static/a.css': 'a', 'static/b.css': 'b' })
  t.after(() => project.cleanup())
  const changes = [await created(project, 'static/a.css'), await created(project, 'static/b.css')]
  const staged = await stageAssets(changes, context(new Map(), { outDir: project.path('public/assets'), read: (c) => readFile(c.absolutePath) }))
  assert.deepEqual(staged.errors, [])
  assert.deepEqual(staged.copies.map((c) => [c.kind, c.logicalPath, c.final.slice(project.root.length)]), [
    ['bytes', 'a.css', `/public/assets/${staged.entries.get('a.css')?.file}`],
    ['bytes', 'b.css', `/public/assets/${staged.entries.get('b.css')?.file}`],
  ])
  await assert.rejects(stat(project.path('public')), { code: 'ENOENT' }, 'not even the output directory was created')
})
