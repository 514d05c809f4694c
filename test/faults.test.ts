// Faults survived through the real CLI in child processes: one writer per root (a second one is
// refused with the holder's pid, read-only commands still run, a SIGKILLed holder's lock is taken
// over), temp files of a run killed in the middle of a large apply swept at the next start (and
// nothing else), and a scan that runs out of file descriptors waits, says so, and recovers.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { access, readdir, readFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { cliPath, linkNodeModules, runCli, startCli, type RunningCli } from './helpers/cli.js'
import { makeTempProject, waitFor, type TempProject } from './helpers/index.js'

const CONFIG = `import { closeSync, openSync } from 'node:fs'
import { defineConfig, defineReloadHandler, type Plugin } from '@hotreload/core'
import { assetsPlugin } from '@hotreload/plugin-assets'
import { backupPlugin } from '@hotreload/plugin-backup'

// With HOG=1, takes every free file descriptor once the other plugins are applied (so the
// initial scan runs out of them) and gives them back on SIGUSR2.
const fdHog = {
  name: 'fd-hog',
  apply() {
    if (process.env.HOG !== '1') return
    const held: number[] = []
    try {
      for (;;) held.push(openSync('/dev/null', 'r'))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EMFILE') throw error
    }
    process.once('SIGUSR2', () => {
      for (const fd of held.splice(0)) closeSync(fd)
      process.stderr.write('fd-hog: released\\n')
    })
    process.stderr.write('fd-hog: holding ' + held.length + ' descriptors\\n')
  },
}

// With STALL_APPLY=1, the initial load's apply stage never ends once the plugins before it
// have applied: the assets' temp copies are written and wait for a commit that never comes, so
// a test can kill the process at exactly that point, however fast or slow the machine is.
const stallApply: Plugin = {
  name: 'stall-apply',
  apply(kernel) {
    if (process.env.STALL_APPLY !== '1') return
    kernel.hooks.apply.tapPromise('stall-apply', () => {
      process.stderr.write('stall-apply: holding the apply stage\\n')
      return new Promise<void>(() => undefined)
    })
  },
}

export default defineConfig({
  debounceMs: 20,
  // A 2,000-file apply on a loaded machine may take longer than the default 10 s.
  stageTimeoutMs: 300_000,
  plugins: [
    defineReloadHandler({
      name: 'settings',
      files: 'conf/**/*.json',
      async validate(change, ctx) {
        return change.kind === 'deleted' ? undefined : JSON.parse(await ctx.readText())
      },
      commit() {},
    }),
    assetsPlugin({ dir: 'static', outDir: 'public' }),
    backupPlugin({ outDir: 'var/backups' }),
    fdHog,
    stallApply,
  ],
})
`

async function project(files: Record<string, string> = {}): Promise<TempProject> {
  const p = await makeTempProject({ 'hotreload.config.ts': CONFIG, 'conf/a.json': '{"v":1}', 'static/app.css': 'body{}', ...files })
  await linkNodeModules(p.root)
  return p
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

/** Every file below `dir`, relative to it. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
}

/** Stops a child started by a test and waits for it; SIGKILL if it does not close in time. */
async function stop(run: RunningCli, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return run.child.exitCode
  run.child.kill(signal)
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 20_000)
  const code = await run.exit()
  clearTimeout(timer)
  return code
}

test('a second writer on a root is refused with the pid holding the lock; read-only commands run next to it; close releases it', async (t) => {
  const p = await project()
  const watchers: RunningCli[] = []
  t.after(async () => {
    for (const w of watchers) await stop(w, 'SIGKILL')
    await p.cleanup()
  })
  const first = startCli(['--json'], p.root)
  watchers.push(first)
  await first.waitForJson((e) => e.type === 'ready', 'the first watcher is ready', 60_000)
  const lock = p.path('.hotreload/writer.lock')
  assert.equal(JSON.parse(await readFile(lock, 'utf8')).pid, first.child.pid)

  const second = await runCli([], p.root, 60_000)
  assert.equal(second.code, 2, second.stdout + second.stderr)
  assert.match(second.stderr, new RegExp(`writer\\.lock: hotreload process ${first.child.pid} \\(started [^)]+\\) is already writing at `))
  assert.match(second.stderr, new RegExp(`kill ${first.child.pid}`), 'the hint says what to do')

  const prune = await runCli(['backup', 'prune', '--keep-versions', '1'], p.root, 60_000)
  assert.equal(prune.code, 2, prune.stdout + prune.stderr)
  assert.match(prune.stderr, new RegExp(`hotreload process ${first.child.pid} `))

  const check = await runCli(['check'], p.root, 60_000)
  assert.equal(check.code, 0, check.stdout + check.stderr)
  const list = await runCli(['backup', 'list'], p.root, 60_000)
  assert.equal(list.code, 0, list.stdout + list.stderr)
  const dry = startCli(['--dry-run', '--json'], p.root)
  watchers.push(dry)
  await dry.waitForJson((e) => e.type === 'ready', 'a --dry-run watcher starts next to the writer', 60_000)
  // The CLI installs its signal handlers once createHotReload resolves, just after `ready`: a
  // SIGTERM in between ends it by the signal. Either way it ran beside the writer and stopped.
  const dryExit = await stop(dry)
  assert.ok(dryExit === 0 || dry.child.signalCode === 'SIGTERM', `the dry run stopped (${dryExit})`)
  assert.equal(JSON.parse(await readFile(lock, 'utf8')).pid, first.child.pid, 'the read-only runs left the lock alone')

  assert.equal(await stop(first), 0)
  assert.equal(await exists(lock), false, 'a clean exit removes the lock')
  const pruneAfter = await runCli(['backup', 'prune', '--keep-versions', '1'], p.root, 60_000)
  assert.equal(pruneAfter.code, 0, pruneAfter.stdout + pruneAfter.stderr)
  assert.equal(await exists(lock), false, 'a one-shot command releases the lock when it exits')
})

test('the lock of a SIGKILLed watcher is taken over with a warning naming its pid', async (t) => {
  const p = await project()
  const watchers: RunningCli[] = []
  t.after(async () => {
    for (const w of watchers) await stop(w, 'SIGKILL')
    await p.cleanup()
  })
  const killed = startCli(['--json'], p.root)
  watchers.push(killed)
  await killed.waitForJson((e) => e.type === 'ready', 'the first watcher is ready', 60_000)
  await stop(killed, 'SIGKILL')
  const lock = p.path('.hotreload/writer.lock')
  assert.equal(JSON.parse(await readFile(lock, 'utf8')).pid, killed.child.pid, 'SIGKILL leaves the lock behind')

  const next = startCli(['--json'], p.root)
  watchers.push(next)
  const warning = await next.waitForJson((e) => e.type === 'error' && (e['error'] as { code: string }).code === 'HR_LOCK_WARNING', 'the takeover warning', 60_000)
  assert.match((warning['error'] as { message: string }).message, new RegExp(`took over the writer lock .* of pid ${killed.child.pid} .*no longer running`))
  await next.waitForJson((e) => e.type === 'ready', 'the second watcher is ready', 60_000)
  assert.equal(JSON.parse(await readFile(lock, 'utf8')).pid, next.child.pid)
  await p.save('conf/a.json', '{"v":2}')
  await next.waitForJson((e) => e.type === 'applied' && (e['paths'] as string[]).includes('conf/a.json'), 'the new writer applies edits', 30_000)
  assert.equal(await stop(next), 0)
  assert.equal(await exists(lock), false)
})

test('temp files of a run SIGKILLed in the middle of a 2,000-file apply are swept at the next start, and only those', async (t) => {
  const files: Record<string, string> = {}
  for (let i = 0; i < 2000; i++) files[`static/f${String(i).padStart(4, '0')}.txt`] = `asset ${i}\n`.repeat(20)
  const p = await project(files)
  const watchers: RunningCli[] = []
  t.after(async () => {
    for (const w of watchers) await stop(w, 'SIGKILL')
    await p.cleanup()
  })
  const ours = (name: string) => /\.hrtmp-\d+-[0-9a-f]{12}\.tmp$/.test(name)
  const crashed = startCli(['--json'], p.root, { STALL_APPLY: '1' })
  watchers.push(crashed)
  // Killed while apply has written temp copies that commit has not renamed yet.
  await waitFor(() => crashed.stderr.some((line) => line.includes('stall-apply: holding')), { timeoutMs: 120_000, message: 'the apply stage held after the assets applied' })
  await waitFor(async () => (await tree(p.path('public'))).filter(ours).length >= 50, { timeoutMs: 30_000, message: 'temp copies being written' })
  await stop(crashed, 'SIGKILL')
  const dead = crashed.child.pid as number
  const left = (await tree(p.path('public'))).filter(ours)
  assert.ok(left.length >= 50, `the kill left temp copies (${left.length})`)
  assert.ok(left.every((f) => f.includes(`.hrtmp-${dead}-`)), 'named after the writer')

  // A crash elsewhere in the framework's directories, files a user keeps there, and a temp of a
  // process that is still running (this test runner): only the first kind goes.
  const planted = {
    dead: ['.hotreload/.state.json.hrtmp-DEAD-0123456789ab.tmp', 'var/backups/objects/ab/.cdef.hrtmp-DEAD-0123456789ab.tmp', 'var/backups/.index.jsonl.hrtmp-DEAD-0123456789ab.tmp'].map((f) => f.replace('DEAD', String(dead))),
    kept: ['public/.foo.tmp', '.hotreload/.foo.tmp', 'var/backups/.foo.tmp', 'var/backups/notes.hrtmp-1-0123456789ab.tmp', `public/.live.hrtmp-${process.pid}-0123456789ab.tmp`],
  }
  for (const f of [...planted.dead, ...planted.kept]) await p.write(f, 'x')
  const past = new Date(Date.now() - 60_000)
  for (const f of [...planted.dead, ...planted.kept]) await utimes(p.path(f), past, past)

  const next = startCli(['--json'], p.root)
  watchers.push(next)
  await next.waitForJson((e) => e.type === 'ready', 'the restarted watcher is ready', 180_000)
  for (const f of planted.dead) assert.equal(await exists(p.path(f)), false, `${f} was swept`)
  for (const f of planted.kept) assert.equal(await exists(p.path(f)), true, `${f} was kept`)
  const remaining = [...(await tree(p.path('public'))), ...(await tree(p.path('.hotreload'))), ...(await tree(p.path('var')))].filter((f) => f.includes(`.hrtmp-${dead}-`))
  assert.deepEqual(remaining, [], 'no temp of the killed run is left')
  const manifest = JSON.parse(await readFile(p.path('.hotreload/assets-manifest.json'), 'utf8')) as Record<string, { file: string }>
  assert.equal(Object.keys(manifest).length, 2001, 'the restart applied every asset')
  assert.equal(await stop(next), 0)
})

test('a scan that runs out of file descriptors (EMFILE) waits with a clear error and a hint, and recovers when they free up', async (t) => {
  const files: Record<string, string> = {}
  for (let i = 0; i < 300; i++) files[`conf/d${i % 10}/f${i}.json`] = `{"n":${i}}`
  const p = await project(files)
  // A low limit keeps the hog small; `exec` so the pid is node's and signals reach it.
  const child = spawn('sh', ['-c', `ulimit -n 256 && exec "${process.execPath}" "${cliPath}" --json`], {
    cwd: p.root,
    env: { ...process.env, NO_COLOR: '1', HOG: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out: string[] = []
  const err: string[] = []
  child.stdout.on('data', (c: Buffer) => out.push(...c.toString('utf8').split('\n')))
  child.stderr.on('data', (c: Buffer) => err.push(c.toString('utf8')))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
    await p.cleanup()
  })
  const events = () => out.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; files?: number; error?: { code: string; message: string; hint?: string } })
  const message = () => `stdout:\n${out.join('\n')}\nstderr:\n${err.join('')}`
  await waitFor(() => err.join('').includes('fd-hog: holding'), { timeoutMs: 60_000, message: `the hog took the descriptors; ${message()}` })
  const shortage = await waitFor(() => events().find((e) => e.type === 'error' && e.error?.code === 'HR_TOO_MANY_OPEN_FILES'), { timeoutMs: 30_000, message: `the EMFILE error; ${message()}` })
  assert.match(shortage.error?.message ?? '', /too many open files \(EMFILE\) while .*waiting for descriptors to free up/)
  assert.match(shortage.error?.hint ?? '', /ulimit -n/)
  assert.equal(child.exitCode, null, 'still running')
  assert.equal(events().some((e) => e.type === 'ready'), false, 'the scan waits while no descriptor is free')

  child.kill('SIGUSR2')
  const ready = await waitFor(() => events().find((e) => e.type === 'ready'), { timeoutMs: 60_000, message: `ready after the descriptors came back; ${message()}` })
  assert.equal(ready.files, 302, 'every file was loaded')
  assert.ok(events().some((e) => e.type === 'applied'), 'the initial load applied')
  await writeFile(p.path('conf/d0/f0.json'), '{"n":"edited"}')
  await waitFor(() => events().some((e) => e.type === 'applied' && (e as { paths?: string[] }).paths?.includes('conf/d0/f0.json')), { timeoutMs: 30_000, message: `an edit after recovery applies; ${message()}` })
  child.kill('SIGTERM')
  assert.equal(await exited, 0)
})
