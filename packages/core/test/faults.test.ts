// Faults at the library level: the writer lock between instances of one process, the temp-file
// sweep's rules on real files (a dead writer's temps go; a live writer's, a fresh one and a
// user's own .tmp stay), and problems of failing taps naming the file the kernel knows.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { access, readdir, readFile, utimes } from 'node:fs/promises'
import { basename } from 'node:path'
import { test } from 'node:test'
import { createHotReload, defineReloadHandler, LockedError, tempPathFor, type HotReloadEvent, type Plugin, type Problem } from '@hotreload/core'
import { sweepTemps } from '../src/sweep.js'
import { makeTempProject } from '../../../test/helpers/index.js'
import { startInstance } from '../../../test/helpers/instance.js'

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )

const problemsOf = (event: HotReloadEvent): readonly Problem[] => (event.type === 'rejected' ? event.problems : [])

/** The pid of a process that ran and has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((resolve) => child.on('exit', resolve))
  return child.pid as number
}

test('a second writing instance on a root is refused naming this pid; a dry run runs beside it; close() releases the lock', async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{}' })
  t.after(() => project.cleanup())
  const first = await createHotReload({ root: project.root, include: ['conf/**'], watch: false })
  t.after(() => first.close())
  const lock = project.path('.hotreload/writer.lock')
  assert.equal(JSON.parse(await readFile(lock, 'utf8')).pid, process.pid)

  await assert.rejects(createHotReload({ root: project.root, include: ['conf/**'], watch: false }), (error: unknown) => {
    assert.ok(error instanceof LockedError)
    assert.equal(error.code, 'HR_LOCKED')
    assert.equal(error.pid, process.pid)
    assert.match(error.message, new RegExp(`this process \\(pid ${process.pid}\\) already runs a writing hotreload instance`))
    assert.match(error.hint ?? '', /close\(\) the other instance first|dryRun/)
    return true
  })
  const dry = await createHotReload({ root: project.root, include: ['conf/**'], watch: false, dryRun: true })
  assert.equal(dry.status().last?.status, 'dry-run')
  await dry.close()
  assert.equal(await exists(lock), true, 'a dry run leaves the writer its lock')

  await first.close()
  await first.close()
  assert.equal(await exists(lock), false)
  const again = await createHotReload({ root: project.root, include: ['conf/**'], watch: false })
  await again.close()
  assert.equal(await exists(lock), false)
})

test('a failed start releases the lock it took', async (t) => {
  const project = await makeTempProject({})
  t.after(() => project.cleanup())
  const broken: Plugin = {
    name: 'broken',
    apply() {
      throw new Error('cannot start')
    },
  }
  await assert.rejects(createHotReload({ root: project.root, watch: false, plugins: [broken] }), /cannot start/)
  assert.equal(await exists(project.path('.hotreload/writer.lock')), false)
  const next = await createHotReload({ root: project.root, watch: false })
  await next.close()
})

test('sweepTemps removes only tempPathFor names of writers that are gone, older than this process', async (t) => {
  const project = await makeTempProject({})
  t.after(() => project.cleanup())
  const dead = await deadPid()
  const fromDead = (rel: string) => tempPathFor(project.path(rel)).replace(`.hrtmp-${process.pid}-`, `.hrtmp-${dead}-`)
  const gone = [fromDead('out/a.css'), fromDead('out/deep/b.css')]
  const kept = [
    project.path('out/.foo.tmp'),
    project.path('out/.a.css.0123456789ab.tmp'),
    project.path('out/a.css.hrtmp-1-0123456789ab.tmp'),
    // A writer that is still running: the test process itself, with a name made now.
    tempPathFor(project.path('out/live.css')),
  ]
  for (const file of [...gone, ...kept]) await project.write(file.slice(project.root.length + 1), 'x')
  const past = new Date(Date.now() - 60_000)
  for (const file of [...gone, ...kept.slice(0, 3)]) await utimes(file, past, past)

  assert.deepEqual(await sweepTemps(project.path('out')), [gone[0]], 'not recursive by default')
  assert.deepEqual(await sweepTemps(project.path('out'), { recursive: true }), [gone[1]])
  for (const file of kept) assert.equal(await exists(file), true, `${basename(file)} is kept`)
  assert.deepEqual(await sweepTemps(project.path('missing'), { recursive: true }), [])
  // An old temp of this very pid was left by an earlier process that had it: it goes too.
  const reused = tempPathFor(project.path('out/reused.css'))
  await project.write(reused.slice(project.root.length + 1), 'x')
  assert.deepEqual(await sweepTemps(project.path('out')), [], 'made by this process: kept')
  await utimes(reused, past, past)
  assert.deepEqual(await sweepTemps(project.path('out')), [reused])
  assert.ok((await readdir(project.path('out'))).includes('.foo.tmp'))
})

test('a detect tap that throws is a problem naming the file; a validate tap that throws or times out names its claimed file', async (t) => {
  let failDetect = false
  const detector: Plugin = {
    name: 'detector',
    apply(kernel) {
      kernel.hooks.detect.tap('detector', (changes) => {
        if (failDetect) throw new Error('detect exploded')
        return changes
      })
    },
  }
  const { edit } = await startInstance(t, {
    files: { 'conf/a.json': '{}', 'slow/x.txt': '1', 'bad/y.txt': '1' },
    include: ['conf/**'],
    stageTimeoutMs: 1000,
    plugins: [
      detector,
      defineReloadHandler({
        name: 'slow',
        files: 'slow/**',
        async validate(change, ctx) {
          if ((await ctx.readText()) === 'hang') await new Promise((resolve) => setTimeout(resolve, 3000))
        },
        commit() {},
      }),
      {
        name: 'thrower',
        apply(kernel) {
          kernel.claimFiles('thrower', 'bad/**')
          kernel.hooks.validate.tapPromise('thrower', async (tx) => {
            if (tx.claimed('thrower').some((c) => c.kind !== 'deleted')) {
              const text = (await tx.read(tx.claimed('thrower')[0] as never)).toString()
              if (text === 'boom') throw new Error('validate exploded')
            }
          })
        },
      } satisfies Plugin,
    ],
  })
  failDetect = true
  const detected = await edit('conf/a.json', '{"v":2}')
  assert.equal(detected.type, 'rejected')
  const detectProblem = problemsOf(detected)[0]
  assert.equal(detectProblem?.plugin, 'detector')
  assert.equal(detectProblem?.path, 'conf/a.json')
  assert.match(detectProblem?.message ?? '', /detect exploded/)
  failDetect = false

  const thrown = await edit('bad/y.txt', 'boom')
  assert.equal(thrown.type, 'rejected')
  const thrownProblem = problemsOf(thrown).find((p) => p.plugin === 'thrower')
  assert.equal(thrownProblem?.path, 'bad/y.txt')

  const slow = await edit('slow/x.txt', 'hang')
  assert.equal(slow.type, 'rejected')
  const timeout = problemsOf(slow).find((p) => p.code === 'HR_STAGE_TIMEOUT')
  assert.equal(timeout?.path, 'slow/x.txt')
})
