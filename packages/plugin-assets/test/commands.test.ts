import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { test } from 'node:test'
import { linkNodeModules, runCli } from '../../../test/helpers/cli.js'
import { makeTempProject } from '../../../test/helpers/index.js'
import { sha256 } from './setup.js'

// The real CLI (the built bin) with a user's config file, as `npm test` builds it first.
const CONFIG = `import { defineConfig } from '@hotreload/core'
import assets from '@hotreload/plugin-assets'
export default defineConfig({ plugins: [assets({ publicPath: '/assets/' })] })
`

async function project(t: import('node:test').TestContext, files: Record<string, string>) {
  const p = await makeTempProject({ 'hotreload.config.ts': CONFIG, ...files }, 'hotreload-assets-cli-')
  t.after(() => p.cleanup())
  await linkNodeModules(p.root)
  return p
}

test('hotreload assets lists the manifest, and --json prints it whole, writing nothing', async (t) => {
  const p = await project(t, { 'static/css/app.css': 'body{}', 'static/js/app.js': 'x' })
  const list = await runCli(['assets'], p.root)
  assert.equal(list.code, 0, list.stderr)
  assert.match(list.stdout, new RegExp(`^css/app\\.css  /assets/css/app\\.${sha256('body{}').slice(0, 8)}\\.css  6 B  sha384-`, 'm'))
  assert.match(list.stdout, /^js\/app\.js {2}\/assets\/js\/app\.[0-9a-f]{8}\.js {2}1 B {2}sha384-/m)
  const json = await runCli(['assets', 'list', '--json'], p.root)
  assert.equal(json.code, 0, json.stderr)
  const manifest = JSON.parse(json.stdout.split('\n').find((l) => l.startsWith('{"css/')) ?? '{}')
  assert.deepEqual(Object.keys(manifest), ['css/app.css', 'js/app.js'])
  // Read-only: the command ran on a dry run, so no manifest, no copy, no state next to a watcher.
  assert.deepEqual((await readdir(p.root)).sort(), ['hotreload.config.ts', 'node_modules', 'static'])
})

test('hotreload assets url prints one URL; an unknown asset exits 1 with a hint, bad usage exits 2', async (t) => {
  const p = await project(t, { 'static/css/app.css': 'body{}' })
  const ok = await runCli(['assets', 'url', 'css/app.css'], p.root)
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal(ok.stdout.trim().split('\n').pop(), `/assets/css/app.${sha256('body{}').slice(0, 8)}.css`)
  const unknown = await runCli(['assets', 'url', 'static/css/app.css'], p.root)
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /unknown asset "static\/css\/app\.css".*Did you mean "css\/app\.css"\?/)
  const usage = await runCli(['assets', 'frobnicate'], p.root)
  assert.equal(usage.code, 2)
  assert.match(usage.stderr, /usage: hotreload assets \[list \| url <logical path>\]/)
  assert.deepEqual((await readdir(p.root)).sort(), ['hotreload.config.ts', 'node_modules', 'static'], 'no .hotreload/ written')
})

test('hotreload assets exits 1 naming the problem when the dry run would be rejected', async (t) => {
  const p = await project(t, { 'static/css/app.css': 'body{}', '.hotreload': 'a file where the manifest directory should be' })
  const list = await runCli(['assets'], p.root)
  assert.equal(list.code, 1, list.stdout)
  assert.match(list.stderr, /would be rejected[\s\S]*cannot write the asset manifest \.hotreload\/assets-manifest\.json/)
})
