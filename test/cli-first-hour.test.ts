// Issue 13: what a new user meets in the CLI during the first hour.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { linkNodeModules, runCli } from './helpers/cli.js'
import { makeTempProject, type TempProject } from './helpers/index.js'

const CONFIG_APP = `import { defineConfig } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import { Type } from '@sinclair/typebox'

export const configs = config({
  schemas: { app: Type.Object({ port: Type.Integer({ default: 3000 }), greeting: Type.String() }) },
  restartRequired: { app: ['port'] },
})

export default defineConfig({ debounceMs: 20, plugins: [configs] })
`

async function project(files: Record<string, string>): Promise<TempProject> {
  const p = await makeTempProject(files)
  await linkNodeModules(p.root)
  return p
}

// Problem 3: with no file at all, check printed "✓ valid (0 files checked)" and exited 0.
test('check reports a required config that no file defines, naming the file to create, even with nothing watched', async (t) => {
  const p = await project({ 'hotreload.config.ts': CONFIG_APP })
  t.after(() => p.cleanup())
  const checked = await runCli(['check'], p.root)
  assert.equal(checked.code, 1, checked.stdout)
  assert.match(checked.stdout, /config "app" is required but no file defines it \(Create config\/app\.json \(or \.yaml, \.yml, \.toml\)/)
  assert.doesNotMatch(checked.stdout, /✓ valid/)
})
