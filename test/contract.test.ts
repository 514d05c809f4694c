// The kernel's contract, checked the same way against every plugin and against a user's own
// defineReloadHandler: options, single use, dry runs, what readers see, stale transactions, a
// hung notify, which events are delivered, and versions across restarts.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Type } from '@sinclair/typebox'
import { createHotReload, defineReloadHandler, type HotReload, type HotReloadEvent, type Plugin } from '@hotreload/core'
import { configPlugin } from '@hotreload/plugin-config'
import { handlebars, templatesPlugin } from '@hotreload/plugin-templates'
import { assetsPlugin } from '@hotreload/plugin-assets'
import { backupPlugin } from '@hotreload/plugin-backup'
import { cliPath, linkNodeModules } from './helpers/cli.js'
import { makeTempProject, recordEvents, waitFor, type TempProject } from './helpers/index.js'
import { spawn } from 'node:child_process'

/** One plugin as the contract sees it. */
interface Subject {
  readonly name: string
  make(): Plugin
  /** A factory call with a misspelled option, and the did-you-mean its error must give. */
  typo(): unknown
  readonly didYouMean: RegExp
  readonly files: Record<string, string>
  readonly edit: { readonly path: string; readonly content: string }
  /** What an app reading the plugin sees now. */
  read(plugin: Plugin): Promise<string>
  /** Prefix of the events the plugin emits. */
  readonly eventPrefix: string
  /** `hotreload.config.ts` using the plugin, for the CLI. */
  readonly configFile: string
}

const App = Type.Object({ n: Type.Integer() })

/** A user's handler: validate stages the parsed JSON, commit makes it visible. */
function userHandler() {
  const values = new Map<string, unknown>()
  const plugin = defineReloadHandler<unknown>({
    name: 'settings',
    files: 'conf/**/*.json',
    async validate(change, ctx) {
      return change.kind === 'deleted' ? undefined : JSON.parse(await ctx.readText())
    },
    commit(change, ctx) {
      values.set(change.path, ctx.staged)
    },
  })
  return Object.assign(plugin, { values })
}

const SUBJECTS: readonly Subject[] = [
  {
    name: 'plugin-config',
    make: () => configPlugin({ env: '', schemas: { app: App } }),
    typo: () => configPlugin({ env: '', schemass: { app: App } } as never),
    didYouMean: /did you mean "schemas"/,
    files: { 'config/app.json': '{"n":1}' },
    edit: { path: 'config/app.json', content: '{"n":2}' },
    read: async (p) => JSON.stringify((p as ReturnType<typeof configPlugin>).get('app')),
    eventPrefix: 'config:',
    configFile: `import config from '@hotreload/plugin-config'\nexport default { plugins: [config({ env: '' })] }\n`,
  },
  {
    name: 'plugin-templates',
    make: () => templatesPlugin({ engine: handlebars() }),
    typo: () => templatesPlugin({ engine: handlebars(), dirr: 'views' } as never),
    didYouMean: /did you mean "dir"/,
    files: { 'templates/page.hbs': '<p>v1</p>' },
    edit: { path: 'templates/page.hbs', content: '<p>v2</p>' },
    read: async (p) => (p as ReturnType<typeof templatesPlugin>).render('page'),
    eventPrefix: 'template:',
    configFile: `import templates, { handlebars } from '@hotreload/plugin-templates'\nexport default { plugins: [templates({ engine: handlebars() })] }\n`,
  },
  {
    name: 'plugin-assets',
    make: () => assetsPlugin({ outDir: 'public' }),
    typo: () => assetsPlugin({ outdir: 'public' } as never),
    didYouMean: /did you mean "outDir"/,
    files: { 'static/app.css': 'a { color: red }' },
    edit: { path: 'static/app.css', content: 'a { color: blue }' },
    read: async (p) => JSON.stringify((p as ReturnType<typeof assetsPlugin>).manifest()),
    eventPrefix: 'asset:',
    configFile: `import assets from '@hotreload/plugin-assets'\nexport default { plugins: [assets({ outDir: 'public' })] }\n`,
  },
  {
    name: 'plugin-backup',
    make: () => backupPlugin({}),
    typo: () => backupPlugin({ keepVersion: 3 } as never),
    didYouMean: /did you mean "keepVersions"/,
    files: { 'config/app.json': '{"n":1}' },
    edit: { path: 'config/app.json', content: '{"n":2}' },
    read: async (p) => JSON.stringify((await (p as ReturnType<typeof backupPlugin>).list()).map((b) => [b.path, b.version, b.hash])),
    eventPrefix: 'backup:',
    configFile: `import backup from '@hotreload/plugin-backup'\nexport default { plugins: [backup()] }\n`,
  },
  {
    name: 'defineReloadHandler',
    make: userHandler,
    typo: () => defineReloadHandler({ name: 'settings', files: 'conf/**/*.json', comit() {} } as never),
    didYouMean: /did you mean "commit"/,
    files: { 'conf/a.json': '{"n":1}' },
    edit: { path: 'conf/a.json', content: '{"n":2}' },
    read: async (p) => JSON.stringify([...(p as ReturnType<typeof userHandler>).values]),
    eventPrefix: 'settings:',
    configFile: `import { defineReloadHandler } from '@hotreload/core'
export default {
  plugins: [defineReloadHandler({ name: 'settings', files: 'conf/**/*.json', async validate(change, ctx) { return JSON.parse(await ctx.readText()) }, commit() {} })],
}
`,
  },
]

const INCLUDE = ['config/**/*.json', 'templates/**/*', 'static/**/*', 'conf/**/*.json']

async function start(t: { after(fn: () => Promise<void>): void }, subject: Subject, project: TempProject, plugins: Plugin[], extra: object = {}): Promise<HotReload> {
  const reloader = await createHotReload({ root: project.root, include: INCLUDE, watch: false, plugins, ...extra })
  t.after(() => reloader.close())
  return reloader
}

/** Every file under `dir` with a hash of its bytes (node_modules, the link to the repo's, left out). */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name
      if (entry.name === 'node_modules') continue
      if (entry.isDirectory()) {
        out[`${path}/`] = 'dir'
        await walk(path)
      } else {
        out[path] = createHash('sha256').update(await readFile(join(dir, path))).digest('hex')
      }
    }
  }
  await walk('')
  return out
}

/** Runs `hotreload check` in a child process with its own, empty temp and home directories. */
async function check(root: string, scratch: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliPath, 'check'], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', TMPDIR: scratch, HOME: scratch, XDG_CACHE_HOME: scratch },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr }
}

/** A plugin that fails in apply after every other plugin applied, reading `read` first. */
function failingLast(read: () => Promise<string>, seen: string[]): Plugin {
  return {
    name: 'fails-last',
    apply(kernel) {
      kernel.hooks.apply.tapPromise({ name: 'fails-last', stage: 1000 }, async (tx) => {
        if (tx.reason === 'initial') return
        seen.push(await read())
        throw new Error('fails-last breaks the transaction on purpose')
      })
    },
  }
}

for (const subject of SUBJECTS) {
  test(`${subject.name}: a misspelled option is rejected with a did-you-mean`, () => {
    assert.throws(() => subject.typo(), (e: unknown) => e instanceof Error && subject.didYouMean.test(e.message))
  })

  test(`${subject.name}: one plugin object cannot be applied to two instances`, async (t) => {
    const project = await makeTempProject(subject.files)
    t.after(() => project.cleanup())
    const plugin = subject.make()
    await start(t, subject, project, [plugin])
    await assert.rejects(createHotReload({ root: project.root, include: INCLUDE, watch: false, plugins: [plugin] }), /already applied/)
  })

  test(`${subject.name}: a dry run and hotreload check write nothing, under the root or anywhere else`, async (t) => {
    const project = await makeTempProject({ ...subject.files, 'hotreload.config.ts': subject.configFile })
    const scratch = await mkdtemp(join(tmpdir(), 'hotreload-contract-scratch-'))
    t.after(async () => {
      await project.cleanup()
      await rm(scratch, { recursive: true, force: true })
    })
    await linkNodeModules(project.root)
    const before = await snapshot(project.root)
    const dry = await createHotReload({ root: project.root, include: INCLUDE, watch: false, dryRun: true, plugins: [subject.make()] })
    await project.save(subject.edit.path, subject.edit.content)
    const record = await dry.reload({ dryRun: true })
    await dry.close()
    assert.equal(record.status, 'dry-run')
    const afterLibrary = await snapshot(project.root)
    assert.deepEqual(Object.keys(afterLibrary).filter((p) => !(p in before)), [])

    const result = await check(project.root, scratch)
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`)
    assert.deepEqual(await snapshot(project.root), afterLibrary)
    assert.deepEqual(await readdir(scratch), [])
  })

  test(`${subject.name}: readers during a failing apply see only the committed state`, async (t) => {
    const project = await makeTempProject(subject.files)
    t.after(() => project.cleanup())
    const plugin = subject.make()
    const seen: string[] = []
    const reloader = await start(t, subject, project, [plugin, failingLast(() => subject.read(plugin), seen)])
    const committed = await subject.read(plugin)
    await project.save(subject.edit.path, subject.edit.content)
    const record = await reloader.reload({ paths: [subject.edit.path] })
    assert.equal(record.status, 'rolled-back')
    assert.deepEqual(seen, [committed])
    assert.equal(await subject.read(plugin), committed)
  })

  test(`${subject.name}: after a stage timed out no tap of that transaction runs`, async (t) => {
    const project = await makeTempProject(subject.files)
    t.after(() => project.cleanup())
    const plugin = subject.make()
    let release: (() => void) | undefined
    let settled = false
    const slowFirst: Plugin = {
      name: 'slow-first',
      apply(kernel) {
        kernel.hooks.apply.tapPromise({ name: 'slow-first', stage: -1000 }, async (tx) => {
          if (tx.reason === 'initial') return
          await new Promise<void>((r) => (release = r))
          settled = true
        })
      },
    }
    const reloader = await start(t, subject, project, [slowFirst, plugin], { stageTimeoutMs: 150 })
    const events = recordEvents<HotReloadEvent>(reloader)
    const committed = await subject.read(plugin)
    await project.save(subject.edit.path, subject.edit.content)
    const record = await reloader.reload({ paths: [subject.edit.path] })
    assert.equal(record.status, 'rolled-back')
    release?.()
    await waitFor(() => settled, { message: 'the slow tap to settle' })
    // The rest of the stale apply chain runs (as skipped taps) within the same turn.
    await new Promise((r) => setImmediate(r))
    assert.equal(await subject.read(plugin), committed)
    assert.deepEqual(events.events.filter((e) => e.type.startsWith(subject.eventPrefix)), [])
  })

  test(`${subject.name}: a hung notify tap does not hold up the next transaction or close()`, async (t) => {
    const project = await makeTempProject(subject.files)
    t.after(() => project.cleanup())
    const plugin = subject.make()
    const hung: Plugin = { name: 'hung-notify', apply: (k) => k.hooks.notify.tapPromise('hung-notify', () => new Promise(() => undefined)) }
    // With notify awaited, the second reload would wait the whole 10 minutes.
    const reloader = await createHotReload({ root: project.root, include: INCLUDE, watch: false, notifyTimeoutMs: 600_000, plugins: [plugin, hung] })
    await project.save(subject.edit.path, subject.edit.content)
    assert.equal((await reloader.reload({ paths: [subject.edit.path] })).status, 'applied')
    assert.equal((await reloader.reload({ paths: [subject.edit.path], force: true })).status, 'applied')
    await reloader.close()
  })

  test(`${subject.name}: events of a rolled-back or aborted transaction are never delivered`, async (t) => {
    const project = await makeTempProject(subject.files)
    t.after(() => project.cleanup())
    const plugin = subject.make()
    let mode: 'fail' | 'abort' | 'pass' = 'pass'
    const saboteur: Plugin = {
      name: 'saboteur',
      apply(kernel) {
        kernel.hooks.prepare.tap('saboteur', (tx) => {
          if (mode === 'abort') tx.abort('an outside vote said no')
        })
        kernel.hooks.apply.tap({ name: 'saboteur', stage: 1000 }, () => {
          if (mode === 'fail') throw new Error('saboteur fails the apply')
        })
      },
    }
    const reloader = await start(t, subject, project, [plugin, saboteur])
    const events = recordEvents<HotReloadEvent>(reloader)
    await project.save(subject.edit.path, subject.edit.content)
    mode = 'fail'
    assert.equal((await reloader.reload({ paths: [subject.edit.path] })).status, 'rolled-back')
    mode = 'abort'
    assert.equal((await reloader.reload({ paths: [subject.edit.path] })).status, 'aborted')
    assert.deepEqual(events.events.map((e) => e.type).filter((type) => type !== 'error'), ['rolled-back', 'aborted'])
    mode = 'pass'
    assert.equal((await reloader.reload({ paths: [subject.edit.path] })).status, 'applied')
    assert.ok(events.events.some((e) => e.type === 'applied'))
  })

  test(`${subject.name}: versions continue after a restart`, async (t) => {
    const project = await makeTempProject(subject.files)
    t.after(() => project.cleanup())
    const first = await createHotReload({ root: project.root, include: INCLUDE, watch: false, plugins: [subject.make()] })
    await project.save(subject.edit.path, subject.edit.content)
    const edited = await first.reload({ paths: [subject.edit.path] })
    await first.close()
    assert.equal(edited.status, 'applied')
    const second = await start(t, subject, project, [subject.make()])
    await project.save(subject.edit.path, `${subject.edit.content}\n`)
    const next = await second.reload({ paths: [subject.edit.path] })
    assert.equal(next.status, 'applied')
    assert.ok(next.version > edited.version, `version ${next.version} after a restart must be above ${edited.version}`)
    assert.notEqual(next.runId, edited.runId)
    await stat(project.path('.hotreload/state.json'))
  })
}
