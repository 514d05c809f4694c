import assert from 'node:assert/strict'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { test } from 'node:test'
import type { Kernel, Plugin } from '@hotreload/core'
import { assetEvents, sha256, startAssets } from './setup.js'

/** A plugin after the assets plugin whose apply throws while `trigger/*` has changes. */
function failingApply(): Plugin {
  return {
    name: 'explode',
    apply(kernel: Kernel) {
      kernel.include('trigger/*')
      kernel.hooks.detect.tap('explode', (changes, tx) => {
        for (const c of changes) if (c.path.startsWith('trigger/')) tx.claim('explode', c)
        return changes
      })
      kernel.hooks.apply.tap('explode', (tx) => {
        if (tx.claimed('explode').some((c) => c.kind !== 'deleted')) throw new Error('explode: apply failed on purpose')
      })
    },
  }
}

async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => `${d.parentPath.slice(dir.length)}/${d.name}`)
    .sort()
}

test('rollback restores the previous manifest on disk and in memory and removes the copies it made', async (t) => {
  const { assets, project, reloader, events } = await startAssets(
    t,
    { 'static/css/app.css': 'v1', 'static/js/app.js': 'js' },
    { outputDir: 'public' },
    { after: [failingApply()], watch: false },
  )
  const manifestPath = assets.stats().manifestPath
  const diskBefore = await readFile(manifestPath)
  const memoryBefore = assets.manifest()
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

  assert.deepEqual(await readFile(manifestPath), diskBefore)
  assert.equal(assets.manifest(), memoryBefore)
  assert.equal(assets.url('css/app.css'), urlBefore)
  assert.deepEqual(await listTree(project.path('public')), copiesBefore, 'the two copies made by the failed transaction are gone')
  assert.deepEqual(await readdir(project.path('.hotreload')), ['assets-manifest.json'])
  assert.equal(assetEvents(events).length, eventsBefore, 'no asset:updated for a rolled-back transaction')
  assert.equal(assets.stats().copiesRemoved, 2)

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

test('rollback of the first manifest ever written removes it again', async (t) => {
  const { assets, project, reloader } = await startAssets(t, { 'trigger/go': '1', 'static/app.css': 'a' }, {}, { after: [failingApply()], watch: false })
  assert.equal(reloader.history()[0]?.status, 'rolled-back')
  assert.deepEqual(Object.keys(assets.manifest()), [])
  await assert.rejects(readFile(assets.stats().manifestPath), { code: 'ENOENT' })
  assert.deepEqual(await readdir(project.path('.hotreload')), [])
})

test('a batch another plugin rejects leaves no staged copy or temp file behind', async (t) => {
  const veto: Plugin = {
    name: 'veto',
    apply(kernel: Kernel) {
      kernel.include('trigger/*')
      kernel.hooks.detect.tap('veto', (changes, tx) => {
        for (const c of changes) if (c.path.startsWith('trigger/')) tx.claim('veto', c)
        return changes
      })
      kernel.hooks.validate.tap('veto', (tx) => {
        for (const c of tx.claimed('veto')) if (c.kind !== 'deleted') tx.problem({ plugin: 'veto', code: 'VETO', message: 'no', path: c.path })
      })
    },
  }
  const { assets, project, reloader } = await startAssets(t, { 'static/app.css': 'v1' }, { outputDir: 'public' }, { after: [veto], watch: false })
  const diskBefore = await readFile(assets.stats().manifestPath)
  await writeFile(project.path('static/app.css'), 'v2')
  await project.write('trigger/go', '1')
  const record = await reloader.reload()
  assert.equal(record.status, 'rejected')
  assert.deepEqual(record.problems.map((p) => p.plugin), ['veto'])
  assert.equal(assets.stats().hashed, 2, 'the asset was staged')
  assert.deepEqual(await listTree(project.path('public')), [`/app.${sha256('v1').slice(0, 8)}.css`])
  assert.deepEqual(await readdir(project.path('.hotreload')), ['assets-manifest.json'])
  assert.deepEqual(await readFile(assets.stats().manifestPath), diskBefore)
  assert.equal(assets.manifest()['app.css']?.hash, sha256('v1'))
})
