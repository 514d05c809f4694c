// Issue 12: the app's handles on the manifest keep asset names that are also Object.prototype's.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sha256, startAssets } from './setup.js'

const NAMES = ['__proto__', 'constructor', 'prototype', 'css/__proto__.css', 'js/constructor/app.js']

test('manifest(), url() and stats() keep assets named __proto__, constructor and prototype', async (t) => {
  const { assets, manifestOnDisk } = await startAssets(t, Object.fromEntries(NAMES.map((n) => [`static/${n}`, n])), {}, { watch: false })
  const manifest = assets.manifest()
  assert.deepEqual(Object.keys(manifest), [...NAMES].sort())
  for (const name of NAMES) {
    assert.ok(Object.hasOwn(manifest, name), name)
    assert.equal(manifest[name]?.hash, sha256(name), name)
    assert.equal(assets.url(name), `/${manifest[name]?.file}`)
  }
  assert.equal(Object.getPrototypeOf(manifest), null)
  // A name that is not an asset reads as undefined, not as an inherited method.
  assert.equal(manifest['toString'], undefined)
  assert.equal(assets.stats().assets, NAMES.length)
  assert.deepEqual(Object.keys(await manifestOnDisk()).sort(), [...NAMES].sort())
})
