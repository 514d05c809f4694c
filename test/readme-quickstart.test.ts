// The root README's Quick start, run verbatim in a fresh project installed from the tarballs.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { waitFor } from './helpers/index.js'
import { packAll, result, run, TOOLS, typecheck, type Packed } from './helpers/pack.js'
import { commands, readSnippets } from './helpers/snippets.js'

let packed: Packed
before(async () => {
  packed = await packAll({ build: false })
})
after(() => packed.remove())

// The root README's Quick start, verbatim: its install lines, its files, its commands, its app.
test("the root README's Quick start works as written in a fresh project", { timeout: 400_000 }, async (t) => {
  const blocks = await readSnippets('README.md', '## Quick start in your project')
  const app = await packed.project('quickstart', {})
  const shell = blocks.filter((b) => b.lang === 'sh').flatMap(commands)
  assert.ok(shell.some((c) => c.join(' ').startsWith('npm install @hotreload/core')), 'an install line')
  for (const command of shell.filter((c) => c[0] === 'npm')) {
    if (command[1] === 'install') await packed.install(app, command.slice(2))
    else await run(command[0] ?? 'npm', command.slice(1), { cwd: app })
  }
  await packed.install(app, ['--save-dev', ...TOOLS])
  const files = blocks.filter((b) => b.file)
  assert.deepEqual(files.map((b) => b.file), ['hotreload.config.ts', 'config/app.json', 'app.ts'])
  for (const block of files) {
    await mkdir(dirname(join(app, block.file ?? '')), { recursive: true })
    // The one change: port 0, so the test never collides with a server already on 3000.
    await writeFile(join(app, block.file ?? ''), block.file === 'config/app.json' ? block.code.replace('3000', '0') : block.code)
  }
  await typecheck(app, files.filter((b) => b.lang === 'ts').map((b) => b.file ?? ''))

  const cli = shell.filter((c) => c[0] === 'npx' && c[1] === 'hotreload')
  assert.deepEqual(cli.map((c) => c.slice(2).join(' ')), ['check', '', '--json'])
  const checked = await result(run('npx', ['--no-install', 'hotreload', 'check'], { cwd: app }))
  assert.equal(checked.code, 0, checked.out)
  assert.match(checked.out, /✓ valid \(1 file checked\)/)
  for (const args of [[], ['--json']]) {
    const watching = spawn(join(app, 'node_modules/.bin/hotreload'), args, { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] })
    t.after(() => watching.kill('SIGKILL'))
    let out = ''
    watching.stdout.on('data', (d: Buffer) => (out += d.toString()))
    await waitFor(() => out.includes(args.length ? '"type":"ready"' : 'hotreload ready'), { timeoutMs: 30_000, message: `npx hotreload ${args.join(' ')} ready` })
    const closed = new Promise<number | null>((resolve) => watching.on('close', resolve))
    watching.kill('SIGTERM')
    assert.equal(await closed, 0)
  }

  // `npx tsx app.ts`: the app serves the greeting, takes an edit without a restart, refuses a
  // port change, and closes on Ctrl-C.
  const runApp = shell.find((c) => c[0] === 'npx' && c[1] === 'tsx')
  assert.deepEqual(runApp, ['npx', 'tsx', 'app.ts'])
  const server = spawn(join(app, 'node_modules/.bin/tsx'), ['app.ts'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => server.kill('SIGKILL'))
  let out = ''
  server.stdout.on('data', (d: Buffer) => (out += d.toString()))
  server.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const port = await waitFor(() => /port: (\d+)/.exec(out)?.[1], { timeoutMs: 60_000, message: `the app to listen; output:\n${out}` })
  const get = async () => (await fetch(`http://127.0.0.1:${port}/`)).text()
  assert.equal(await get(), 'Hello\n')
  await writeFile(join(app, 'config/app.json'), `{ "port": 0, "greeting": "Hello again" }`)
  await waitFor(async () => (await get()) === 'Hello again\n', { timeoutMs: 30_000, message: 'the new greeting' })
  assert.match(out, /config "app" changed/)
  await writeFile(join(app, 'config/app.json'), `{ "port": 4000, "greeting": "must not show" }`)
  await waitFor(() => out.includes('restart needed'), { timeoutMs: 30_000, message: `the port change refused; output:\n${out}` })
  assert.equal(await get(), 'Hello again\n')
  const closed = new Promise<number | null>((resolve) => server.on('close', resolve))
  server.kill('SIGINT')
  assert.equal(await closed, 0, out)
})

