import assert from 'node:assert/strict'
import { rename, readFile, truncate, writeFile } from 'node:fs/promises'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { OptionsError, writeFileAtomic } from '@hotreload/core'
import { waitFor } from '../../../test/helpers/index.js'
import assetsDefault, { assetsPlugin, UnknownAssetError } from '../src/index.js'
import { assetEvents, sha256, sri, startAssets } from './setup.js'

const run = promisify(execFile)
const APP_CSS = 'body { color: red }\n'
const APP_JS = 'console.log("hi")\n'

test('the initial load writes a sorted, pretty manifest with fingerprinted names, sha256 and SRI', async (t) => {
  const { assets, manifestOnDisk } = await startAssets(t, { 'static/js/app.js': APP_JS, 'static/css/app.css': APP_CSS, 'static/img/logo.svg': '<svg/>' })
  const h = sha256(APP_CSS)
  const disk = await manifestOnDisk()
  assert.deepEqual(Object.keys(disk), ['css/app.css', 'img/logo.svg', 'js/app.js'])
  assert.deepEqual(disk['css/app.css'], { file: `css/app.${h.slice(0, 8)}.css`, hash: h, size: APP_CSS.length, integrity: sri(APP_CSS) })
  // A null prototype: every asset name is an own key, and other names read as undefined.
  assert.equal(Object.getPrototypeOf(assets.manifest()), null)
  assert.deepEqual(assets.manifest(), Object.assign(Object.create(null), disk))
  assert.ok(Object.isFrozen(assets.manifest()) && Object.isFrozen(assets.manifest()['css/app.css']))
  const text = await readFile(assets.stats().manifestPath, 'utf8')
  assert.equal(text, `${JSON.stringify(disk, null, 2)}\n`)
  assert.ok(assets.stats().manifestPath.endsWith('/.hotreload/assets-manifest.json'))
})

test('url() returns the fingerprinted URL under publicPath and a clear error for an unknown asset', async (t) => {
  const { assets } = await startAssets(t, { 'static/css/app.css': APP_CSS, 'static/my file.txt': 'x' }, { publicPath: 'https://cdn.example.com/assets' })
  const h = sha256(APP_CSS).slice(0, 8)
  assert.equal(assets.url('css/app.css'), `https://cdn.example.com/assets/css/app.${h}.css`)
  assert.equal(assets.url('/css/app.css'), `https://cdn.example.com/assets/css/app.${h}.css`)
  assert.equal(assets.url('my file.txt'), `https://cdn.example.com/assets/my%20file.${sha256('x').slice(0, 8)}.txt`)
  assert.throws(() => assets.url('static/css/app.css'), (e: unknown) => {
    assert.ok(e instanceof UnknownAssetError)
    assert.equal(e.code, 'HR_ASSETS_UNKNOWN')
    assert.match(e.message, /unknown asset "static\/css\/app\.css"/)
    assert.equal(e.hint, 'Did you mean "css/app.css"?')
    return true
  })
  assert.throws(() => assets.url('nope.js'), (e: unknown) => e instanceof UnknownAssetError && /relative to "static\/"/.test(e.hint ?? ''))
})

test('editing one asset among 50 rehashes that asset alone and emits asset:updated with old and new URL', async (t) => {
  const files: Record<string, string> = { 'static/css/app.css': APP_CSS }
  for (let i = 0; i < 49; i++) files[`static/lib/mod${i}.js`] = `export const n = ${i}\n`
  const { assets, recorder, project, manifestOnDisk } = await startAssets(t, files)
  assert.equal(assets.stats().hashed, 50)
  const before = await manifestOnDisk()
  const oldUrl = assets.url('css/app.css')

  const next = 'body { color: blue }\n'
  // Saved the way editors do (temp + rename), so no half-written state is ever a change of its own.
  await writeFileAtomic(project.path('static/css/app.css'), next)
  const event = await recorder.next('asset:updated', (e) => e.logicalPath === 'css/app.css')
  assert.equal(event.kind, 'modified')
  assert.equal(event.oldHash, sha256(APP_CSS))
  assert.equal(event.newHash, sha256(next))
  assert.equal(event.oldUrl, oldUrl)
  assert.equal(event.url, `/css/app.${sha256(next).slice(0, 8)}.css`)
  assert.deepEqual(event.paths, ['static/css/app.css'])
  assert.equal(event.plugin, 'assets')
  assert.equal(assets.url('css/app.css'), event.url)

  const stats = assets.stats()
  assert.equal(stats.hashed, 51, 'exactly one more hash pass')
  assert.deepEqual(stats.lastHashed, ['css/app.css'])
  assert.equal(stats.bytesHashed, Object.values(files).reduce((n, c) => n + c.length, 0) + next.length)
  const after = await manifestOnDisk()
  const { ['css/app.css']: changed, ...rest } = after
  const { ['css/app.css']: _old, ...restBefore } = before
  assert.deepEqual(rest, restBefore)
  assert.equal(changed?.integrity, sri(next))
})

test('a deletion drops only its entry, without hashing anything', async (t) => {
  const { assets, recorder, project, manifestOnDisk } = await startAssets(t, { 'static/a.css': 'a', 'static/b.css': 'b' })
  const oldUrl = assets.url('a.css')
  await project.remove('static/a.css')
  const event = await recorder.next('asset:updated', (e) => e.kind === 'deleted')
  assert.deepEqual({ logicalPath: event.logicalPath, oldUrl: event.oldUrl, oldHash: event.oldHash, url: event.url }, { logicalPath: 'a.css', oldUrl, oldHash: sha256('a'), url: undefined })
  assert.deepEqual(Object.keys(assets.manifest()), ['b.css'])
  await waitFor(async () => !('a.css' in (await manifestOnDisk())), { message: 'a.css gone from the manifest file' })
  assert.equal(assets.stats().hashed, 2)
})

test('a rename moves its entry without reading the file again', async (t) => {
  // reload() reconciles the whole move in one transaction; the watcher test below checks the
  // end state whatever batches the watcher delivers the unlink and add in.
  const { assets, project, reloader, events } = await startAssets(t, { 'static/old/name.css': APP_CSS, 'static/other.js': APP_JS }, {}, { watch: false })
  await rename(project.path('static/old/name.css'), project.path('static/other.css'))
  const record = await reloader.reload()
  assert.equal(record.status, 'applied')
  assert.deepEqual(record.changes, [{ kind: 'renamed', path: 'static/other.css', from: 'static/old/name.css' }])
  const event = assetEvents(events).find((e) => e.logicalPath === 'other.css')
  assert.ok(event)
  assert.equal(event.kind, 'renamed')
  assert.equal(event.from, 'old/name.css')
  assert.equal(event.oldHash, event.newHash)
  assert.equal(event.oldUrl, `/old/name.${sha256(APP_CSS).slice(0, 8)}.css`)
  assert.equal(event.url, `/other.${sha256(APP_CSS).slice(0, 8)}.css`)
  assert.deepEqual(event.paths, ['static/old/name.css', 'static/other.css'])
  assert.deepEqual(Object.keys(assets.manifest()), ['other.css', 'other.js'])
  assert.equal(assets.stats().hashed, 2, 'no hash pass for the rename')
  assert.equal(assets.stats().reused, 1)
})

test('a rename seen by the watcher ends with the entry under its new name only', async (t) => {
  const { assets, project, manifestOnDisk } = await startAssets(t, { 'static/old/name.css': APP_CSS, 'static/other.js': APP_JS })
  await rename(project.path('static/old/name.css'), project.path('static/other.css'))
  await waitFor(async () => {
    const disk = await manifestOnDisk()
    return !('old/name.css' in disk) && disk['other.css']?.hash === sha256(APP_CSS)
  }, { message: 'the manifest file to show the rename' })
  assert.deepEqual(Object.keys(assets.manifest()), ['other.css', 'other.js'])
})

test('its own manifest and output writes never come back as changes, even inside the asset directory', async (t) => {
  const { assets, recorder, project, reloader } = await startAssets(
    t,
    { 'static/app.css': APP_CSS, 'static/app.js': APP_JS },
    { manifestPath: 'static/manifest.json', outDir: 'static/_dist' },
  )
  await writeFile(project.path('static/app.css'), 'body{}')
  await recorder.next('applied', (e) => e.paths.includes('static/app.css'))
  // The watcher reports events in order: once this later edit is applied, any event caused by
  // the manifest or copy writes above would have been seen.
  await writeFile(project.path('static/app.js'), 'void 0')
  await recorder.next('applied', (e) => e.paths.includes('static/app.js'))
  const touched = new Set(reloader.history().flatMap((r) => r.changes.map((c) => c.path)))
  assert.deepEqual([...touched].sort(), ['static/app.css', 'static/app.js'])
  assert.deepEqual(Object.keys(assets.manifest()), ['app.css', 'app.js'])
})

test('with no assets the manifest file is still written, replacing one that lists deleted files', async (t) => {
  const stale = '{\n  "gone.css": { "file": "gone.1234abcd.css", "hash": "00", "size": 1, "integrity": "sha384-x" }\n}\n'
  const { assets, manifestOnDisk } = await startAssets(t, { 'README.md': 'not an asset', 'static/.gitkeep': '', '.hotreload/assets-manifest.json': stale })
  assert.deepEqual(await manifestOnDisk(), {})
  assert.deepEqual(Object.keys(assets.manifest()), [])
  assert.equal(assets.stats().manifestWrites, 1)
})

test('dir and files choose the assets: files are relative to the root, and only files under dir count', async (t) => {
  const { assets, reloader } = await startAssets(
    t,
    { 'public/a.css': 'a', 'public/b.js': 'b', 'static/c.css': 'c', 'other/d.css': 'd' },
    { dir: 'public', files: ['public/**/*.css', 'other/**/*.css'] },
  )
  assert.deepEqual(Object.keys(assets.manifest()), ['a.css'])
  assert.ok(reloader.history()[0]?.changes.some((c) => c.path === 'other/d.css'), 'a glob outside the default include is watched too')
  const defaults = await startAssets(t, { 'public/a.css': 'a', 'public/x/b.js': 'b', 'static/c.css': 'c' }, { dir: 'public', name: 'second' })
  assert.deepEqual(Object.keys(defaults.assets.manifest()), ['a.css', 'x/b.js'], 'the default files are <dir>/**/*')
})

test('the default export is the factory, and bad options fail fast, all of them at once, with a did-you-mean', () => {
  assert.equal(assetsDefault, assetsPlugin)
  assert.throws(
    () => assetsPlugin({ hashLength: 2, keepVersions: 0, outputDir: 'x' } as never),
    (e: unknown) =>
      e instanceof OptionsError &&
      e.code === 'HR_OPTIONS' &&
      /^assetsPlugin\(\): /.test(e.message) &&
      /unknown option "outputDir" \(did you mean "outDir"\?\)/.test(e.message) &&
      /hashLength/.test(e.message) &&
      /keepVersions/.test(e.message) &&
      /outDir/.test(e.hint ?? ''),
  )
  assert.throws(() => assetsPlugin({ files: [] }), OptionsError)
  assert.equal(assetsPlugin({ name: 'cdn' }).name, 'cdn')
  assert.equal(assetsPlugin({ name: 'cdn' }).command.readOnly?.(['url', 'x.css']), true)
})

test('a 200 MB asset goes through a real transaction with memory flat, hashed as a stream', async (t) => {
  const { assets, project, recorder } = await startAssets(t, { 'static/app.css': APP_CSS })
  const size = 200 * 1024 * 1024
  const base = process.memoryUsage()
  let peak = base.rss
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5)
  t.after(() => clearInterval(sampler))
  await project.write('static/video/intro.bin', '')
  // Sparse: 200 MB to read and hash without 200 MB of disk writes.
  await truncate(project.path('static/video/intro.bin'), size)
  const event = await recorder.next('asset:updated', (e) => e.logicalPath === 'video/intro.bin' && e.kind === 'created', 0, 60_000)
  clearInterval(sampler)
  const expected = (await run('sha256sum', [project.path('static/video/intro.bin')])).stdout.slice(0, 64)
  assert.equal(event.newHash, expected)
  t.diagnostic(`rss +${((peak - base.rss) / 1048576).toFixed(1)} MiB while the core and the plugin hashed 200 MiB`)
  assert.ok(peak - base.rss < 64 * 1024 * 1024, `rss grew by ${((peak - base.rss) / 1048576).toFixed(1)} MiB`)
  assert.equal(assets.manifest()['video/intro.bin']?.size, size)
  assert.equal(event.url, `/video/intro.${event.newHash?.slice(0, 8)}.bin`)
})
