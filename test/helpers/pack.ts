// Packs the workspace packages into tarballs and installs them into fresh projects outside the
// repository, as a user installs from the registry. Shared by the npm-pack and README tests.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from './cli.js'

export const run = promisify(execFile)
export const PACKAGES = ['core', 'plugin-config', 'plugin-templates', 'plugin-assets', 'plugin-backup', 'plugin-browser', 'plugin-fleet']
/**
 * What the fresh projects need besides the READMEs' own install lines: the compiler that
 * type-checks the snippets, in the versions the repository uses.
 */
export const TOOLS = ['typescript@^5.9.3', '@types/node@^20.19.0']

export interface Packed {
  /** The temp directory holding the tarballs and the fresh projects. */
  readonly work: string
  /** Package name -> tarball path. */
  readonly tarballs: ReadonlyMap<string, string>
  /** `npm install` in `app`, with @hotreload/* names replaced by their tarballs. */
  install(app: string, args: readonly string[]): Promise<void>
  /** A directory under `work` holding `files` and a package.json. */
  project(name: string, files: Record<string, string>): Promise<string>
  remove(): Promise<void>
}

/**
 * Runs `npm pack` for every package: with its prepack (a build) by default; `{ build: false }`
 * packs the dist/ that `npm test` built already, for the tests about READMEs, to stay within
 * the runner's per-file time limit on a busy machine.
 */
export async function packAll({ build = true }: { build?: boolean } = {}): Promise<Packed> {
  const work = await mkdtemp(join(tmpdir(), 'hotreload-pack-'))
  await mkdir(join(work, 'tarballs'))
  const tarballs = new Map<string, string>()
  for (const name of PACKAGES) {
    const { stdout } = await run('npm', ['pack', '--pack-destination', join(work, 'tarballs'), '--json', ...(build ? [] : ['--ignore-scripts'])], { cwd: join(repoRoot, 'packages', name), maxBuffer: 32 * 1024 * 1024 })
    const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { name: string; filename: string }[]
    if (info) tarballs.set(info.name, join(work, 'tarballs', info.filename))
  }
  return {
    work,
    tarballs,
    async install(app, args) {
      const mapped = args.map((a) => tarballs.get(a) ?? a)
      await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...mapped], { cwd: app, timeout: 240_000 })
    },
    async project(name, files) {
      const app = join(work, name)
      for (const [rel, content] of Object.entries({ 'package.json': JSON.stringify({ name, private: true }), ...files })) {
        await mkdir(dirname(join(app, rel)), { recursive: true })
        await writeFile(join(app, rel), content)
      }
      return app
    },
    remove: () => rm(work, { recursive: true, force: true }),
  }
}

/** Exit code and output of a child process that may fail. */
export const result = (p: Promise<{ stdout: string; stderr: string }>) =>
  p.then(
    (r) => ({ code: 0, out: `${r.stdout}\n${r.stderr}` }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: `${e.stdout}\n${e.stderr}` }),
  )

/** `tsc --noEmit --strict` over `files` in `app`, with the project's own installed compiler. */
export async function typecheck(app: string, files: readonly string[]): Promise<void> {
  const checked = await result(
    run(join(app, 'node_modules/.bin/tsc'), ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', ...files], { cwd: app }),
  )
  assert.equal(checked.code, 0, `tsc --noEmit --strict:\n${checked.out}`)
}

/** A hotreload.config.ts with every plugin, as a user of all four would write it. */
export const FRESH_CONFIG = `import { defineConfig } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import templates, { handlebars } from '@hotreload/plugin-templates'
import assets from '@hotreload/plugin-assets'
import backup from '@hotreload/plugin-backup'

export default defineConfig({
  debounceMs: 20,
  plugins: [config(), templates({ engine: handlebars() }), assets(), backup()],
})
`
