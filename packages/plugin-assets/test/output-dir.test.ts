import assert from 'node:assert/strict'
import { readdir, readFile, rename } from 'node:fs/promises'
import { test } from 'node:test'
import { writeFileAtomic } from '@hotreload/core'
import { makeTempProject, waitFor } from '../../../test/helpers/index.js'
import { sha256, startAssets } from './setup.js'

const named = (stem: string, content: string, ext: string) => `${stem}.${sha256(content).slice(0, 8)}${ext}`

test('copies appear under their fingerprinted names with the asset bytes', async (t) => {
  const { assets, project } = await startAssets(t, { 'static/css/app.css': 'body{}', 'static/LICENSE': 'MIT' }, { outDir: 'public/assets' })
  assert.deepEqual(await readdir(project.path('public/assets/css')), [named('app', 'body{}', '.css')])
  assert.equal(await readFile(project.path(`public/assets/${assets.manifest()['css/app.css']?.file}`), 'utf8'), 'body{}')
  assert.equal(await readFile(project.path(`public/assets/${named('LICENSE', 'MIT', '')}`), 'utf8'), 'MIT')
  assert.equal(assets.stats().copiesWritten, 2)
})

test('superseded copies are removed once keepVersions newer versions exist', async (t) => {
  const { assets, project, recorder } = await startAssets(t, { 'static/app.css': 'v1', 'static/other.css': 'o' }, { outDir: 'public', keepVersions: 2 })
  for (const version of ['v2', 'v3', 'v4']) {
    // An editor's atomic save: the watcher never sees a half-written file, so no extra version.
    await writeFileAtomic(project.path('static/app.css'), version)
    await recorder.next('applied', () => assets.manifest()['app.css']?.hash === sha256(version))
  }
  // Pruning runs after commit; wait for it rather than for a fixed time.
  await waitFor(async () => (await readdir(project.path('public'))).length === 3, { message: 'pruned copies' })
  assert.deepEqual((await readdir(project.path('public'))).sort(), [named('app', 'v3', '.css'), named('app', 'v4', '.css'), named('other', 'o', '.css')].sort())
  assert.equal(assets.stats().copiesWritten, 5)
  assert.equal(assets.stats().copiesRemoved, 2)
})

test('reverting to an earlier version reuses its copy; a deleted asset keeps its copies', async (t) => {
  const { assets, project, recorder } = await startAssets(t, { 'static/app.css': 'A' }, { outDir: 'public', keepVersions: 2 })
  await writeFileAtomic(project.path('static/app.css'), 'B')
  await recorder.next('asset:updated', (e) => e.newHash === sha256('B'))
  await writeFileAtomic(project.path('static/app.css'), 'A')
  await recorder.next('asset:updated', (e) => e.newHash === sha256('A'))
  assert.equal(assets.stats().copiesWritten, 2, 'the copy of A was still kept, so it is not written again')
  await project.remove('static/app.css')
  await recorder.next('asset:updated', (e) => e.kind === 'deleted')
  assert.deepEqual((await readdir(project.path('public'))).sort(), [named('app', 'A', '.css'), named('app', 'B', '.css')].sort())
})

test('a rename duplicates the existing copy without hashing the file', async (t) => {
  const { assets, project, reloader } = await startAssets(t, { 'static/a.css': 'same' }, { outDir: 'public' }, { watch: false })
  await rename(project.path('static/a.css'), project.path('static/b.css'))
  assert.equal((await reloader.reload()).status, 'applied')
  assert.equal(await readFile(project.path(`public/${named('b', 'same', '.css')}`), 'utf8'), 'same')
  assert.equal(assets.stats().hashed, 1)
  assert.equal(assets.stats().reused, 1)
})

test('a restart finds its copies in place and writes none again', async (t) => {
  const project = await makeTempProject({ 'static/a.css': 'a', 'static/b.js': 'b' }, 'hotreload-assets-')
  t.after(() => project.cleanup())
  const first = await startAssets(t, {}, { outDir: 'public' }, { project, watch: false })
  assert.equal(first.assets.stats().copiesWritten, 2)
  await first.reloader.close()
  const second = await startAssets(t, {}, { outDir: 'public' }, { project, watch: false })
  assert.equal(second.assets.stats().copiesWritten, 0)
  assert.deepEqual(second.assets.manifest(), first.assets.manifest())
})

test('an output directory that cannot be written is a problem naming the path', async (t) => {
  const { reloader, assets } = await startAssets(t, { 'static/css/app.css': 'a', 'public/css': 'a file in the way' }, { outDir: 'public' }, { watch: false })
  const record = reloader.history()[0]
  assert.equal(record?.status, 'rejected')
  assert.deepEqual(record?.problems.map((p) => [p.plugin, p.code]), [['assets', 'HR_ASSETS_COPY']])
  assert.match(record?.problems[0]?.message ?? '', /cannot create the output directory for "css\/app\.[0-9a-f]{8}\.css" under .*public: a file stands where a directory is expected/)
  assert.deepEqual(Object.keys(assets.manifest()), [])
})

test('an output directory containing the asset directory is refused at start', async (t) => {
  const project = await makeTempProject({ 'static/a.css': 'a' }, 'hotreload-assets-')
  t.after(() => project.cleanup())
  await assert.rejects(startAssets(t, {}, { outDir: '.' }, { project }), { code: 'HR_ASSETS_OPTIONS', message: /contains the asset directory/ })
})
