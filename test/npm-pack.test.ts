import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { repoRoot } from './helpers/cli.js'
import { waitFor } from './helpers/index.js'
import { FRESH_CONFIG, packAll, result, run, type Packed } from './helpers/pack.js'

let packed: Packed
before(async () => {
  packed = await packAll()
})
after(() => packed.remove())

test('the tarballs hold what the packages point at: LICENSE, CHANGELOG, the sources the maps and the source condition name', async () => {
  const license = await readFile(join(repoRoot, 'LICENSE'), 'utf8')
  for (const [name, tgz] of packed.tarballs) {
    const { stdout } = await run('tar', ['-tzf', tgz])
    const listed = new Set(stdout.split('\n').map((l) => l.replace(/^package\//, '')))
    for (const file of ['LICENSE', 'CHANGELOG.md', 'README.md', 'src/index.ts', 'dist/index.js']) assert.ok(listed.has(file), `${name}: ${file} in the tarball`)
    const { stdout: text } = await run('tar', ['-xzOf', tgz, 'package/LICENSE'])
    assert.equal(text, license, `${name}: the root LICENSE`)
    const { stdout: pkgText } = await run('tar', ['-xzOf', tgz, 'package/package.json'])
    const pkg = JSON.parse(pkgText) as { exports: Record<string, Record<string, string>>; repository?: { directory?: string }; homepage?: string; bugs?: unknown; keywords?: string[] }
    assert.ok(listed.has(pkg.exports['.']?.['source']?.replace(/^\.\//, '') ?? ''), `${name}: the source condition's file is in the tarball`)
    assert.ok(pkg.repository?.directory && pkg.homepage && pkg.bugs && (pkg.keywords?.length ?? 0) > 0, `${name}: repository.directory, homepage, bugs, keywords`)
    // Every source map names sources that the tarball ships.
    for (const map of [...listed].filter((f) => f.endsWith('.js.map'))) {
      const { stdout: mapText } = await run('tar', ['-xzOf', tgz, `package/${map}`])
      for (const source of (JSON.parse(mapText) as { sources: string[] }).sources) {
        const resolved = join(dirname(map), source)
        assert.ok(listed.has(resolved), `${name}: ${map} points at ${resolved}, which is in the tarball`)
      }
    }
  }
})

// What a user does: npm install the published tarballs into a project outside the repository,
// write a hotreload.config.ts, and run `npx hotreload`.
test('the packed packages install into a fresh project where npx hotreload runs with every plugin', { timeout: 300_000 }, async (t) => {
  const app = await packed.project('app', {
    'hotreload.config.ts': FRESH_CONFIG,
    'config/app.json': '{ "port": 8080, "greeting": "hello" }',
    'templates/page.hbs': '<h1>{{title}}</h1>',
    'static/app.css': 'body { color: red }',
  })
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }))
  await packed.install(app, [...packed.tarballs.keys(), 'handlebars@^4.7.10'])

  const check = await result(run('npx', ['--no-install', 'hotreload', 'check'], { cwd: app }))
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

