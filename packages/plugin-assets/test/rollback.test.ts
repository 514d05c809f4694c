import assert from 'node:assert/strict'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { test } from 'node:test'
import type { Kernel, Plugin } from '@hotreload/core'
import { assetEvents, sha256, startAssets } from './setup.js'

/**
 * A plugin after the assets plugin whose apply throws while `trigger/*` has changes. `probe`
 * runs first, in that apply: after the assets plugin's apply, before the rollback.
 */
function failingApply(probe?: () => Promise<void>): Plugin {
  return {
    name: 'explode',
    apply(kernel: Kernel) {
      kernel.claimFiles('explode', 'trigger/*')
      kernel.hooks.apply.tapPromise('explode', async (tx) => {
        if (!tx.claimed('explode').some((c) => c.kind !== 'deleted')) return
        await probe?.()
        throw new Error('explode: apply failed on purpose')
      })
    },
  }
}

/** The framework's own files (`state.json`, the committed version; the audit trail) are not the plugin's. */
async function ownFiles(dir: string): Promise<string[]> {
  // The core's own files: the last version, and the writer lock of the running instance, the audit trail.
  return (await readdir(dir)).filter((n) => n !== 'state.json' && n !== 'writer.lock' && !/^audit(\.\d+)?\.jsonl$/.test(n)).sort()
}

async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => `${d.parentPath.slice(dir.length)}/${d.name}`)
    .sort()
}

test('readers during a failing apply see only the committed manifest, and the rollback leaves nothing behind', async (t) => {
  const seen: { url?: string; disk?: Buffer; copies?: string[]; sameObject?: boolean } = {}
  // Filled in once the instance runs: the instance, and the manifest the probe compares against.
  const committed: { manifest?: object; started?: Awaited<ReturnType<typeof startAssets>> } = {}
  const probe = async () => {
    const { started } = committed
    if (!started) return
    seen.sameObject = started.assets.manifest() === committed.manifest
    seen.url = started.assets.url('css/app.css')
    seen.disk = await readFile(started.assets.stats().manifestPath)
    // Staged copies are hidden temp files: under a final name there is nothing new yet.
    seen.copies = (await listTree(started.project.path('public'))).filter((f) => !/\/\.[^/]+\.tmp$/.test(f))
  }
  const started = await startAssets(t, { 'static/css/app.css': 'v1', 'static/js/app.js': 'js' }, { outDir: 'public' }, { after: [failingApply(probe)], watch: false })
  const { assets, project, reloader, events } = started
  const manifestPath = assets.stats().manifestPath
  const diskBefore = await readFile(manifestPath)
  const memoryBefore = assets.manifest()
  committed.manifest = memoryBefore
  committed.started = started
  const urlBefore = assets.url('css/app.css')
  const copiesBefore = await listTree(project.path('public'))
  assert.equal(copiesBefore.length, 2)
  const eventsBefore = assetEvents(events).length

  await writeFile(project.path('static/css/app.css'), 'v2')
  await project.write('static/img/new.svg', '<svg/>')
  await rm(project.path('static/js/app.js'))
  await project.write('trigger/go', '1')
  const record = await reloader.reload()
  assert.equal(record.status, 'rolled-back')
  assert.equal(record.error?.plugin, 'explode')

  // During the apply that rolled back, after the assets plugin's own apply had run:
  assert.equal(seen.sameObject, true, 'manifest() still served the committed object')
  assert.equal(seen.url, urlBefore)
  assert.deepEqual(seen.disk, diskBefore, 'the manifest file was still the committed one')
  assert.deepEqual(seen.copies, copiesBefore, 'no new copy was visible under its final name')

  assert.deepEqual(await readFile(manifestPath), diskBefore)
  assert.equal(assets.manifest(), memoryBefore)
  assert.equal(assets.url('css/app.css'), urlBefore)
  assert.deepEqual(await listTree(project.path('public')), copiesBefore, 'the copies written to temp files were removed')
  assert.deepEqual(await ownFiles(project.path('.hotreload')), ['assets-manifest.json'])
  assert.equal(assetEvents(events).length, eventsBefore, 'no asset:updated for a rolled-back transaction')
  assert.equal(assets.stats().copiesWritten, 2, 'only the committed copies count')

  // Once the other plugin is happy, the same edits apply.
  await rm(project.path('trigger/go'))
  const retry = await reloader.reload()
  assert.equal(retry.status, 'applied')
  assert.deepEqual(Object.keys(assets.manifest()), ['css/app.css', 'img/new.svg'])
  assert.equal(assets.manifest()['css/app.css']?.hash, sha256('v2'))
  assert.ok((await listTree(project.path('public'))).includes(`/css/app.${sha256('v2').slice(0, 8)}.css`))
  assert.deepEqual(
    assetEvents(events).slice(eventsBefore).map((e) => [e.kind, e.logicalPath]).sort(),
    [['created', 'img/new.svg'], ['deleted', 'js/app.js'], ['modified', 'css/app.css']],
  )
})

test('a rolled-back initial load never puts a manifest in place', async (t) => {
  const { assets, project, reloader } = await startAssets(t, { 'trigger/go': '1', 'static/app.css': 'a' }, {}, { after: [failingApply()], watch: false })
  assert.equal(reloader.history()[0]?.status, 'rolled-back')
  assert.deepEqual(Object.keys(assets.manifest()), [])
  await assert.rejects(readFile(assets.stats().manifestPath), { code: 'ENOENT' })
  assert.deepEqual(await ownFiles(project.path('.hotreload')), [], 'its staged temp file was removed')
})

test('a batch another plugin rejects leaves no staged copy or temp file behind', async (t) => {
  const veto: Plugin = {
    name: 'veto',
    apply(kernel: Kernel) {
      kernel.claimFiles('veto', 'trigger/*')
      kernel.hooks.validate.tap('veto', (tx) => {
        for (const c of tx.claimed('veto')) if (c.kind !== 'deleted') tx.problem({ plugin: 'veto', code: 'VETO', message: 'no', path: c.path })
      })
    },
  }
  const { assets, project, reloader } = await startAssets(t, { 'static/app.css': 'v1' }, { outDir: 'public' }, { after: [veto], watch: false })
  const diskBefore = await readFile(assets.stats().manifestPath)
  await writeFile(project.path('static/app.css'), 'v2')
  await project.write('trigger/go', '1')
  const record = await reloader.reload()
  assert.equal(record.status, 'rejected')
  assert.deepEqual(record.problems.map((p) => p.plugin), ['veto'])
  assert.equal(assets.stats().hashed, 2, 'the asset was staged')
  assert.deepEqual(await listTree(project.path('public')), [`/app.${sha256('v1').slice(0, 8)}.css`])
  assert.deepEqual(await ownFiles(project.path('.hotreload')), ['assets-manifest.json'])
  assert.deepEqual(await readFile(assets.stats().manifestPath), diskBefore)
  assert.equal(assets.manifest()['app.css']?.hash, sha256('v1'))
})
