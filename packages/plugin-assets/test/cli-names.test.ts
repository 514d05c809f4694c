// Issue 12 through the real `hotreload` CLI (built packages, a child process, real files): asset
// names that are also Object.prototype's own names stay in the manifest, and a name too long
// for its fingerprinted copy is a copy problem with a hint, not an unreadable asset.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { linkNodeModules, runCli, startCli } from '../../../test/helpers/cli.js'
import { makeTempProject, type TempProject } from '../../../test/helpers/index.js'

const CONFIG = `import { defineConfig } from '@hotreload/core'
import { assetsPlugin } from '@hotreload/plugin-assets'

export default defineConfig({
  debounceMs: 20,
  plugins: [assetsPlugin({ outDir: 'public' })],
})
`

const NAMES = ['__proto__', 'constructor', 'prototype', 'css/__proto__.css', 'js/constructor/app.js', 'prototype.svg']

async function project(files: Record<string, string>): Promise<TempProject> {
  const p = await makeTempProject({ 'hotreload.config.ts': CONFIG, ...files })
  await linkNodeModules(p.root)
  return p
}

test('assets named __proto__, constructor and prototype are in the manifest file, `assets list` and `assets url`', async (t) => {
  const p = await project(Object.fromEntries(NAMES.map((name) => [`static/${name}`, `content of ${name}`])))
  t.after(() => p.cleanup())
  const listed = await runCli(['--json', 'assets', 'list'], p.root)
  assert.equal(listed.code, 0, listed.stderr)
  const manifest = JSON.parse(listed.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, { file: string }>
  assert.deepEqual(Object.keys(manifest).sort(), [...NAMES].sort())
  assert.ok(Object.hasOwn(manifest, '__proto__'))

  // `assets list` runs on a dry run and writes nothing; a watching instance writes the manifest.
  const cli = startCli(['--json'], p.root)
  t.after(async () => {
    cli.child.kill('SIGKILL')
    await cli.exit()
  })
  await cli.waitForJson((e) => e.type === 'ready', 'ready')
  const onDisk = JSON.parse(await readFile(p.path('.hotreload/assets-manifest.json'), 'utf8')) as Record<string, { file: string }>
  assert.deepEqual(Object.keys(onDisk).sort(), [...NAMES].sort())
  for (const name of NAMES) {
    const entry = onDisk[name]
    assert.ok(entry && Object.hasOwn(onDisk, name), name)
    // The copy exists under its fingerprinted name with the asset's bytes.
    assert.equal(await readFile(p.path(`public/${entry.file}`), 'utf8'), `content of ${name}`)
  }

  const url = await runCli(['assets', 'url', '__proto__'], p.root)
  assert.equal(url.code, 0, url.stderr)
  assert.equal(url.stdout.trim(), `/${onDisk['__proto__']?.file}`)
  // A name that is not an asset is unknown, even one Object.prototype has.
  const unknown = await runCli(['assets', 'url', 'toString'], p.root)
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /unknown asset "toString"/)
})

test('an asset name too long for its fingerprinted copy is HR_ASSETS_COPY with a hint, and the last manifest keeps serving', async (t) => {
  const p = await project({ 'static/app.css': 'body{}' })
  t.after(() => p.cleanup())
  const cli = startCli(['--json'], p.root)
  t.after(async () => {
    cli.child.kill('SIGKILL')
    await cli.exit()
  })
  const ready = await cli.waitForJson((e) => e.type === 'ready', 'ready')
  const before = await readFile(p.path('.hotreload/assets-manifest.json'), 'utf8')

  // 250 bytes: a valid file name, which the hash (9 bytes with its dot) pushes past 255.
  const long = `${'a'.repeat(246)}.css`
  // A plain write: the test helper's own temp + rename would need a name longer still.
  await p.write(`static/${long}`, 'x')
  const rejected = await cli.waitForJson((e) => e.type === 'rejected', 'rejected for the long name')
  const problems = rejected['problems'] as { code: string; path?: string; message: string; hint?: string }[]
  assert.equal(problems.length, 1, JSON.stringify(problems))
  const [problem] = problems
  assert.equal(problem?.code, 'HR_ASSETS_COPY')
  assert.match(problem?.message ?? '', /cannot write the fingerprinted copy .*: the name is longer than the file system allows/)
  assert.ok(problem?.path?.includes('a'.repeat(246)), problem?.path)
  assert.match(problem?.hint ?? '', /shorten the asset file name .* or lower the hashLength option/)
  assert.equal(rejected['version'], ready['version'])
  assert.equal(await readFile(p.path('.hotreload/assets-manifest.json'), 'utf8'), before)

  // A name that fits with its hash, but not with the temp file's extra 18 bytes, is copied.
  const fits = `${'b'.repeat(238)}.css`
  await p.remove(`static/${long}`)
  await p.write(`static/${fits}`, 'y')
  await cli.waitForJson((e) => e.type === 'asset:updated' && e['logicalPath'] === fits, 'the 242-byte name applied')
  const manifest = JSON.parse(await readFile(p.path('.hotreload/assets-manifest.json'), 'utf8')) as Record<string, { file: string }>
  assert.equal(await readFile(p.path(`public/${manifest[fits]?.file}`), 'utf8'), 'y')
})
