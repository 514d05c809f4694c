// Issue 13, problem 5: `npx hotreload` inside the repository went to the registry and 404'd,
// because the workspace bin (dist/cli.js) did not exist when npm install linked bins.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { copyFile, mkdir, realpath } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { repoRoot } from './helpers/cli.js'
import { makeTempProject } from './helpers/index.js'

const run = promisify(execFile)

test('npm install links the committed bin, and npx hotreload works where the custom-handler README says to run it', { timeout: 120_000 }, async () => {
  const linked = await realpath(join(repoRoot, 'node_modules/.bin/hotreload'))
  assert.equal(linked, join(repoRoot, 'packages/core/bin/hotreload.js'))
  const { stdout } = await run('npx', ['--no-install', 'hotreload', 'check'], { cwd: join(repoRoot, 'examples/custom-handler/project'), timeout: 60_000 })
  assert.match(stdout, /✓ valid \(1 file checked\)/)
})

test('the bin says to run npm run build when the CLI is not built', async (t) => {
  const p = await makeTempProject({ 'package.json': '{ "type": "module" }' })
  t.after(() => p.cleanup())
  await mkdir(p.path('bin'))
  await copyFile(join(repoRoot, 'packages/core/bin/hotreload.js'), p.path('bin/hotreload.js'))
  const result = await run(process.execPath, [p.path('bin/hotreload.js'), '--version']).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => e,
  )
  assert.equal(result.code, 2)
  assert.match(result.stderr, /dist\/cli\.js is missing: the package is not built\. Run `npm run build`/)
})
