import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { linkNodeModules } from './helpers/cli.js'
import { makeTempProject } from './helpers/index.js'
import { join } from 'node:path'

const run = promisify(execFile)

// The root README's Quick start: one hotreload.config.ts that the CLI loads and the app imports.
const CONFIG = `import { defineConfig } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import { Type } from '@sinclair/typebox'

export const configs = config({
  schemas: { app: Type.Object({ port: Type.Integer({ default: 3000 }), greeting: Type.String() }) },
  restartRequired: { app: ['port'] },
})

export default defineConfig({ plugins: [configs] })
`

// What the Quick start used to say: the options come from loadConfigFile(), which evaluates
// the config module a second time, so the imported \`configs\` is not the plugin that is applied.
const MIXED = `import { createHotReload, loadConfigFile } from '@hotreload/core'
import { configs } from './hotreload.config.js'

const reloader = await createHotReload(await loadConfigFile('hotreload.config.ts'))
try {
  console.log(configs.get('app').greeting)
} finally {
  await reloader.close()
}
`

// The one documented pattern: the app passes the module it imports to createHotReload.
const ONE_MODULE = `import { createHotReload } from '@hotreload/core'
import options, { configs } from './hotreload.config.js'

const reloader = await createHotReload(options)
console.log(configs.get('app').greeting)
await reloader.close()
`

async function runApp(files: Record<string, string>) {
  const p = await makeTempProject({ 'package.json': '{ "type": "module" }', 'hotreload.config.ts': CONFIG, 'config/app.json': '{ "greeting": "hello" }', ...files })
  await linkNodeModules(p.root)
  try {
    return await run(process.execPath, ['--conditions=source', '--import', 'tsx', join(p.root, 'app.ts')], { cwd: p.root, timeout: 60_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    )
  } finally {
    await p.cleanup()
  }
}

// Issue 13, problem 2.
test('an app that reads a config plugin loadConfigFile() re-created gets an error saying what to do', { timeout: 120_000 }, async () => {
  const mixed = await runApp({ 'app.ts': MIXED })
  assert.notEqual(mixed.code, 0)
  assert.match(mixed.stderr, /HR_CONFIG_NOT_APPLIED/)
  assert.match(mixed.stderr, /another plugin named "config" was applied in this process/)
  assert.doesNotMatch(mixed.stderr, /read configs after createHotReload\(\) resolves/)

  const one = await runApp({ 'app.ts': ONE_MODULE })
  assert.equal(one.code, 0, one.stderr)
  assert.equal(one.stdout.trim(), 'hello')
})
