import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { repoRoot } from './helpers/cli.js'
import { waitFor } from './helpers/index.js'
import { spawn } from 'node:child_process'

const run = promisify(execFile)
const PACKAGES = ['core', 'plugin-config', 'plugin-templates', 'plugin-assets', 'plugin-backup', 'plugin-browser']

// What a user does: npm install the published tarballs into a project outside the repository,
// write a hotreload.config.ts, and run `npx hotreload`.
test('the packed packages install into a fresh project where npx hotreload runs with every plugin', { timeout: 240_000 }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'hotreload-pack-'))
  t.after(() => rm(work, { recursive: true, force: true }))
  const tarballs = join(work, 'tarballs')
  await mkdir(tarballs)
  for (const name of PACKAGES) {
    await run('npm', ['pack', '--pack-destination', tarballs, '--silent'], { cwd: join(repoRoot, 'packages', name) })
  }
  const files = (await readdir(tarballs)).filter((f) => f.endsWith('.tgz'))
  assert.equal(files.length, PACKAGES.length)

  const app = join(work, 'app')
  await mkdir(join(app, 'config'), { recursive: true })
  await mkdir(join(app, 'templates'), { recursive: true })
  await mkdir(join(app, 'static'), { recursive: true })
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }))
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...files.map((f) => join(tarballs, f)), 'handlebars@^4.7.10'], {
    cwd: app,
    timeout: 180_000,
  })
  await writeFile(join(app, 'hotreload.config.ts'), FRESH_CONFIG)
  await writeFile(join(app, 'config/app.json'), '{ "port": 8080, "greeting": "hello" }')
  await writeFile(join(app, 'templates/page.hbs'), '<h1>{{title}}</h1>')
  await writeFile(join(app, 'static/app.css'), 'body { color: red }')

  const check = await run('npx', ['--no-install', 'hotreload', 'check'], { cwd: app }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: `${e.stdout}\n${e.stderr}` }),
  )
  assert.equal(check.code, 0, check.out)

  // The long-running watch starts the bin npm linked, not `npx`: npm 11's npx does not pass
  // SIGTERM on to its child, so the signal would never reach hotreload.
  const child = spawn(join(app, 'node_modules', '.bin', 'hotreload'), ['--json'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => child.kill('SIGKILL'))
  const lines: string[] = []
  child.stdout.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)))
  const events = () => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; version: number; plugins?: string[] })
  await waitFor(() => events().some((e) => e.type === 'ready'), { timeoutMs: 30_000, message: 'ready from the installed CLI' })
  const initial = events().find((e) => e.type === 'applied')
  assert.deepEqual([...(initial?.plugins ?? [])].sort(), ['assets', 'backup', 'config', 'templates'])
  await writeFile(join(app, 'config/app.json'), '{ "port": 8080, "greeting": "hi" }')
  await waitFor(() => events().some((e) => e.type === 'applied' && e.version === 2), { timeoutMs: 30_000, message: 'applied v2' })
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  child.kill('SIGTERM')
  assert.equal(await exited, 0)
})

const FRESH_CONFIG = `import { defineConfig } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import templates, { handlebars } from '@hotreload/plugin-templates'
import assets from '@hotreload/plugin-assets'
import backup from '@hotreload/plugin-backup'
import browser from '@hotreload/plugin-browser'

export default defineConfig({
  debounceMs: 20,
  plugins: [config(), templates({ engine: handlebars() }), assets(), backup(), browser()],
})
`
