import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { createHotReload, type Kernel, type Plugin } from '@hotreload/core'
import { makeTempProject, waitFor } from '../../../test/helpers/index.js'
import { assetsPlugin } from '../src/index.js'
import { READ_VIA_CORE_LIMIT } from '../src/stage.js'
import { sha256, startAssets } from './setup.js'

const run = promisify(execFile)
// Over the size the plugin takes from the core's memory: these assets are read from disk.
const BIG = randomBytes(READ_VIA_CORE_LIMIT + 4096)

/**
 * A plugin tapping detect before the assets plugin, which sabotages files after the core
 * fingerprinted them and before the assets plugin reads them: the race of a file vanishing
 * or being replaced mid-transaction, made deterministic.
 */
function sabotage(action: (kernel: Kernel) => Promise<void>): Plugin & { armed: boolean } {
  const plugin = {
    name: 'sabotage',
    armed: false,
    apply(kernel: Kernel) {
      kernel.hooks.detect.tapPromise('sabotage', async (changes) => {
        if (plugin.armed) {
          plugin.armed = false
          await action(kernel)
        }
        return changes
      })
    },
  }
  return plugin
}

test('assets that vanish or become directories mid-transaction are each reported, and nothing changes', async (t) => {
  const saboteur = sabotage(async (kernel) => {
    await rm(`${kernel.root}/static/a.bin`)
    await rm(`${kernel.root}/static/b.bin`)
    await mkdir(`${kernel.root}/static/b.bin`)
  })
  // reload() puts both files in one transaction; the watcher might deliver them in two batches.
  const { assets, project, reloader } = await startAssets(t, { 'static/keep.css': 'k' }, {}, { before: [saboteur], watch: false })
  const before = await readFile(assets.stats().manifestPath)
  saboteur.armed = true
  await writeFile(project.path('static/a.bin'), BIG)
  await writeFile(project.path('static/b.bin'), BIG)
  const rejected = await reloader.reload()
  assert.equal(rejected.status, 'rejected')
  const problems = rejected.problems.filter((p) => p.plugin === 'assets')
  assert.deepEqual(
    problems.map((p) => [p.code, p.path]).sort(),
    [['HR_ASSETS_UNREADABLE', 'static/a.bin'], ['HR_ASSETS_UNREADABLE', 'static/b.bin']],
  )
  const [a, b] = [...problems].sort((x, y) => String(x.path).localeCompare(String(y.path)))
  assert.match(a?.message ?? '', /cannot read asset "a\.bin": it vanished while being read/)
  assert.match(b?.message ?? '', /cannot read asset "b\.bin": it is now a directory/)
  assert.ok(a?.hint && b?.hint)
  assert.deepEqual(Object.keys(assets.manifest()), ['keep.css'])
  assert.deepEqual(await readFile(assets.stats().manifestPath), before)
  assert.deepEqual((await readdir(project.path('.hotreload'))).filter((n) => n.endsWith('.tmp')), [])
  // b.bin is a file again and a.bin stays gone: the next transaction applies that state.
  await rm(project.path('static/b.bin'), { recursive: true })
  await writeFile(project.path('static/b.bin'), 'fixed')
  assert.equal((await reloader.reload()).status, 'applied')
  assert.deepEqual(Object.keys(assets.manifest()), ['b.bin', 'keep.css'])
  assert.equal(assets.manifest()['b.bin']?.hash, sha256('fixed'))
})

test('a manifest directory that is a file rejects the initial load with a clear problem, and a fix applies', async (t) => {
  const { assets, project, reloader, events } = await startAssets(t, { 'static/app.css': 'a', 'out': 'a file, not a directory' }, { manifestPath: 'out/assets.json' }, { watch: false })
  const rejected = events.find((e) => e.type === 'rejected')
  assert.ok(rejected && rejected.type === 'rejected')
  assert.deepEqual(rejected.problems.map((p) => [p.plugin, p.code, p.path]), [['assets', 'HR_ASSETS_MANIFEST_WRITE', 'out/assets.json']])
  assert.match(rejected.problems[0]?.message ?? '', /cannot write the asset manifest out\/assets\.json: a parent of the path is a file/)
  assert.match(rejected.problems[0]?.hint ?? '', /previous manifest stays/)
  assert.deepEqual(Object.keys(assets.manifest()), [])
  assert.equal(await readFile(project.path('out'), 'utf8'), 'a file, not a directory')

  await rm(project.path('out'))
  const record = await reloader.reload()
  assert.equal(record.status, 'applied')
  assert.deepEqual(Object.keys(JSON.parse(await readFile(project.path('out/assets.json'), 'utf8'))), ['app.css'])
})

/** Makes a directory refuse new files: chmod for a normal user; root ignores modes, so chattr +i. */
async function blockWrites(dir: string): Promise<() => Promise<unknown>> {
  const unblock = process.getuid?.() === 0 ? (await run('chattr', ['+i', dir]), () => run('chattr', ['-i', dir])) : (await chmod(dir, 0o555), () => chmod(dir, 0o755))
  await assert.rejects(writeFile(`${dir}/probe`, 'x'), 'the directory must refuse writes for this test to mean anything')
  return unblock
}

test('a manifest that cannot be written rejects the edit; the previous manifest stays on disk and in memory', async (t) => {
  const { assets, project, recorder, manifestOnDisk } = await startAssets(t, { 'static/app.css': 'v1', 'static/app.js': 'js' })
  const manifestPath = assets.stats().manifestPath
  const before = await readFile(manifestPath)
  const memory = assets.manifest()
  const url = assets.url('app.css')
  const unblock = await blockWrites(project.path('.hotreload'))
  try {
    await writeFile(project.path('static/app.css'), 'v2')
    const rejected = await recorder.next('rejected')
    assert.deepEqual(rejected.problems.map((p) => [p.plugin, p.code, p.path]), [['assets', 'HR_ASSETS_MANIFEST_WRITE', '.hotreload/assets-manifest.json']])
    assert.deepEqual(await readFile(manifestPath), before)
    assert.equal(assets.manifest(), memory)
    assert.equal(assets.url('app.css'), url)
  } finally {
    await unblock()
  }
  // Writable again: the next edit applies, together with the rejected one.
  await writeFile(project.path('static/app.js'), 'js2')
  await waitFor(async () => (await manifestOnDisk())['app.js']?.hash === sha256('js2'), { message: 'the next edit applied' })
  assert.equal((await manifestOnDisk())['app.css']?.hash, sha256('v2'))
  assert.deepEqual((await readdir(project.path('.hotreload'))).filter((n) => n.endsWith('.tmp')), [])
})

test('a dry run hashes and checks the manifest and copies could be written, but writes nothing', async (t) => {
  const { assets, project, reloader } = await startAssets(t, { 'static/app.css': 'v1' }, { outDir: 'public' }, { watch: false })
  const before = await readFile(assets.stats().manifestPath)
  const hotreloadBefore = (await readdir(project.path('.hotreload'))).sort()
  await writeFile(project.path('static/app.css'), 'v2')
  await writeFile(project.path('static/new.css'), 'n')
  const record = await reloader.reload({ dryRun: true })
  assert.equal(record.status, 'dry-run')
  assert.deepEqual(record.problems, [])
  assert.equal(assets.stats().hashed, 3)
  assert.deepEqual(await readFile(assets.stats().manifestPath), before)
  assert.deepEqual((await readdir(project.path('.hotreload'))).sort(), hotreloadBefore)
  assert.deepEqual(await readdir(project.path('public')), [`app.${sha256('v1').slice(0, 8)}.css`])
  assert.deepEqual(Object.keys(assets.manifest()), ['app.css'])
  assert.equal(assets.manifest()['app.css']?.hash, sha256('v1'), 'readers still see the committed manifest')
})

test('a dry-run instance writes nothing at all, not even .hotreload/, and its command shows what it computed', async (t) => {
  const project = await makeTempProject({ 'static/css/app.css': 'body{}', 'static/js/app.js': 'x' }, 'hotreload-assets-')
  t.after(() => project.cleanup())
  const assets = assetsPlugin({ outDir: 'public', publicPath: '/assets/' })
  const reloader = await createHotReload({ root: project.root, watch: false, dryRun: true, plugins: [assets] })
  t.after(() => reloader.close())
  assert.equal(reloader.status().last?.status, 'dry-run')
  assert.deepEqual((await readdir(project.root)).sort(), ['static'], 'no .hotreload/, no public/')
  assert.deepEqual(Object.keys(assets.manifest()), [], 'nothing was committed')

  const out: string[] = []
  const err: string[] = []
  const ctx = { reloader, json: false, print: (l: string) => out.push(l), printError: (l: string) => err.push(l) }
  assert.equal(await assets.command.run(['url', 'css/app.css'], ctx), 0, err.join('\n'))
  assert.deepEqual(out, [`/assets/css/app.${sha256('body{}').slice(0, 8)}.css`])
  assert.equal(await assets.command.run(['list'], ctx), 0)
  assert.equal(out.length, 3)
  assert.equal(await assets.command.run(['url', 'nope.css'], ctx), 1)
  assert.match(err.join('\n'), /unknown asset "nope\.css"/)
  assert.deepEqual((await readdir(project.root)).sort(), ['static'])
})

test('a validate stage that runs out of time stops hashing and leaves no staged copy behind', async (t) => {
  const { assets, project, reloader } = await startAssets(t, { 'static/app.css': 'a' }, { outDir: 'public' }, { watch: false, stageTimeoutMs: 300 })
  await project.write('static/huge.bin', '')
  await truncate(project.path('static/huge.bin'), 400 * 1024 * 1024)
  const record = await reloader.reload()
  assert.equal(record.status, 'rejected')
  assert.ok(record.problems.some((p) => p.code === 'HR_STAGE_TIMEOUT'), JSON.stringify(record.problems))
  await waitFor(async () => (await readdir(project.path('public'))).length === 1, { message: 'the partial copy removed' })
  assert.equal(assets.stats().hashed, 1, 'the pass over huge.bin was abandoned, not finished')
  assert.deepEqual(Object.keys(assets.manifest()), ['app.css'])
})

test('two instances share one transaction: one unwritable manifest rejects the other instance\'s edit too', async (t) => {
  const cdn = assetsPlugin({ name: 'cdn', dir: 'cdn', manifestPath: 'cdn-out/manifest.json', hashLength: 12 })
  const { assets, project, reloader } = await startAssets(t, { 'static/a.css': 'a1', 'cdn/b.css': 'b1' }, {}, { after: [cdn], watch: false })
  assert.equal(cdn.url('b.css'), `/b.${sha256('b1').slice(0, 12)}.css`)
  const before = await readFile(assets.stats().manifestPath)
  await rm(project.path('cdn-out'), { recursive: true })
  await writeFile(project.path('cdn-out'), 'in the way')
  await writeFile(project.path('static/a.css'), 'a2')
  await writeFile(project.path('cdn/b.css'), 'b2')
  const record = await reloader.reload()
  assert.equal(record.status, 'rejected')
  assert.deepEqual(record.problems.map((p) => [p.plugin, p.code, p.path]), [['cdn', 'HR_ASSETS_MANIFEST_WRITE', 'cdn-out/manifest.json']])
  assert.deepEqual(await readFile(assets.stats().manifestPath), before, 'the healthy instance wrote nothing either')
  assert.equal(assets.manifest()['a.css']?.hash, sha256('a1'))
  assert.equal(cdn.manifest()['b.css']?.hash, sha256('b1'))
})
