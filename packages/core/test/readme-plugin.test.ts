// The core README's plugin written against the hooks directly: the block itself, as printed.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { createHotReload, type HotReloadEvent, type Plugin } from '@hotreload/core'
import { linkNodeModules } from '../../../test/helpers/cli.js'
import { makeTempProject, recordEvents } from '../../../test/helpers/index.js'
import { readSnippets } from '../../../test/helpers/snippets.js'

async function rawPluginBlock(): Promise<string> {
  const blocks = await readSnippets('packages/core/README.md', '## A plugin written against the hooks')
  const block = blocks.find((b) => b.lang === 'ts')
  assert.ok(block, 'the README has the block')
  return block.code
}

test('the README raw plugin runs as printed', async (t) => {
  const p = await makeTempProject({ 'package.json': '{ "type": "module" }', 'flags.json': '{ "beta": true }' })
  t.after(() => p.cleanup())
  await linkNodeModules(p.root)
  await writeFile(p.path('readme.ts'), await rawPluginBlock())
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'readme.ts'], { cwd: p.root, timeout: 60_000 })
  assert.match(stdout, /flags: \{"beta":true\}/)
})

test('the README raw plugin rejects a bad edit, keeps the last good flags, and applies the fix', async (t) => {
  const p = await makeTempProject({ 'package.json': '{ "type": "module" }', 'flags.json': '{ "beta": true }' })
  t.after(() => p.cleanup())
  await linkNodeModules(p.root)
  // The same block, with its closing program swapped for an export of the factory.
  const code = (await rawPluginBlock()).replace(/\nconst flags = flagsPlugin\(\)[\s\S]*$/, '\nexport { flagsPlugin }\n')
  await writeFile(p.path('flags-plugin.ts'), code)
  const { flagsPlugin } = (await import(pathToFileURL(p.path('flags-plugin.ts')).href)) as { flagsPlugin: () => Plugin & { current(): Record<string, boolean> } }
  const flags = flagsPlugin()
  const warnings: string[] = []
  const reloader = await createHotReload({
    root: p.root,
    debounceMs: 20,
    plugins: [flags],
    logger: { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} },
  })
  t.after(() => reloader.close())
  const recorder = recordEvents<HotReloadEvent>(reloader)
  assert.deepEqual(flags.current(), { beta: true })

  await p.save('flags.json', '{ "beta": "yes" }')
  const rejected = await recorder.next('rejected')
  assert.equal(rejected.problems[0]?.code, 'FLAGS_INVALID')
  assert.deepEqual(flags.current(), { beta: true })
  assert.match(warnings.join('\n'), /flags\.json rejected: every flag must be true or false/)

  await p.save('flags.json', '{ "beta": false, "dark": true }')
  await recorder.next('applied', (e) => e.version === 2)
  assert.deepEqual(flags.current(), { beta: false, dark: true })
})
