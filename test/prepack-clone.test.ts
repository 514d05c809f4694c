// `npm pack` in a fresh clone, with nothing built: the packages' `prepack` must build them, or a
// user who packs from a checkout gets a tarball without dist/ (issue 13). The other packing
// tests pack the workspace's own dist/, which `npm test` built before, so they cannot see this.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { repoRoot } from './helpers/cli.js'
import { PACKAGES, run } from './helpers/pack.js'

interface Manifest {
  name: string
  exports: Record<string, string | Record<string, string>>
  repository?: { url?: string; directory?: string }
  homepage?: string
  bugs?: { url?: string }
}

let work = ''
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hotreload-clone-'))
})
after(() => rm(work, { recursive: true, force: true, maxRetries: 3 }))

// Two packages, not seven: a clone, `npm ci` and two builds take about 100 s on a loaded 2-core
// machine. core is the base every plugin builds on; plugin-browser has the most involved build
// (two tsconfigs: the server and the browser client), and its prepack must build core first.
const PACKED = ['core', 'plugin-browser']

test('npm pack in a fresh clone builds the package first (prepack): the tarball holds dist/*.js and the .d.ts files', { timeout: 400_000 }, async (t) => {
  const clone = join(work, 'clone')
  // The committed HEAD of this checkout, as a user's `git clone` gets it.
  await run('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, clone])
  await run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: clone, timeout: 300_000, maxBuffer: 32 * 1024 * 1024 })
  for (const name of PACKED) {
    const dir = join(clone, 'packages', name)
    assert.equal(existsSync(join(dir, 'dist')), false, `${name}: no dist/ before the pack (git does not hold it)`)
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: dir, timeout: 300_000, maxBuffer: 32 * 1024 * 1024 })
    const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; entryCount: number }[]
    assert.ok(info, `${name}: npm pack --json reports the tarball`)
    const { stdout: listing } = await run('tar', ['-tzf', join(work, info.filename)], { maxBuffer: 8 * 1024 * 1024 })
    const files = new Set(listing.split('\n').filter(Boolean).map((l) => l.replace(/^package\//, '')))
    const js = [...files].filter((f) => /^dist\/.*\.js$/.test(f))
    const dts = [...files].filter((f) => /^dist\/.*\.d\.ts$/.test(f))
    t.diagnostic(`${name}: ${files.size} files, ${js.length} dist/*.js, ${dts.length} dist/*.d.ts`)
    // Every source module has its compiled module and its declarations.
    // (plugin-browser's client is plain JS under src/client, compiled with its declarations.)
    const sources = [...files].filter((f) => /^src\/.*\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    assert.ok(sources.length > 0, `${name}: the sources are shipped`)
    for (const source of sources) {
      const base = source.replace(/^src\//, 'dist/').replace(/\.(ts|js)$/, '')
      assert.ok(files.has(`${base}.js`), `${name}: ${base}.js in the tarball`)
      assert.ok(files.has(`${base}.d.ts`), `${name}: ${base}.d.ts in the tarball`)
    }
    // Every file the exports map points at (besides the `source` condition, checked by the
    // npm-pack test) is in the tarball.
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest
    for (const [entry, target] of Object.entries(manifest.exports)) {
      const targets = typeof target === 'string' ? { default: target } : target
      for (const [condition, file] of Object.entries(targets)) {
        if (condition === 'source') continue
        assert.ok(files.has(file.replace(/^\.\//, '')), `${name}: exports["${entry}"].${condition} = ${file} is in the tarball`)
      }
    }
  }
  const browserFiles = (await run('tar', ['-tzf', join(work, 'hotreload-plugin-browser-0.1.0.tgz')])).stdout
  for (const file of ['dist/client/connect.js', 'dist/client/connect.d.ts']) assert.match(browserFiles, new RegExp(`package/${file.replace(/\./g, '\\.')}\\n`), `plugin-browser: ${file} (the client's own build)`)
})

// One repository for every package. The URL is a placeholder (the repository has no remote
// yet); what matters until then is that every package and its links agree.
test('every package.json names the same repository, with its own directory, homepage and bugs', async () => {
  const urls = new Set<string>()
  for (const name of PACKAGES) {
    const m = JSON.parse(await readFile(join(repoRoot, 'packages', name, 'package.json'), 'utf8')) as Manifest
    const url = m.repository?.url ?? ''
    urls.add(url)
    const web = url.replace(/^git\+/, '').replace(/\.git$/, '')
    assert.match(url, /^git\+https:\/\/.+\.git$/, `${name}: repository.url`)
    assert.equal(m.repository?.directory, `packages/${name}`, `${name}: repository.directory`)
    assert.equal(m.homepage, `${web}/tree/main/packages/${name}#readme`, `${name}: homepage`)
    assert.equal(m.bugs?.url, `${web}/issues`, `${name}: bugs.url`)
  }
  assert.equal(urls.size, 1, `one repository URL: ${[...urls].join(', ')}`)
})
