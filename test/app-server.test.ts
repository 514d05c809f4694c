import assert from 'node:assert/strict'
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { linkNodeModules, repoRoot } from './helpers/cli.js'
import { startExampleServer } from './helpers/example-server.js'
import { makeTempProject, waitFor } from './helpers/index.js'

// The app-server example in a child process: each edit shows up over HTTP with no restart.
test('the app server serves new config, template and stylesheet versions without a restart', { timeout: 120_000 }, async (t) => {
  const p = await makeTempProject({})
  t.after(() => p.cleanup())
  for (const dir of ['config', 'templates', 'static']) await cp(join(repoRoot, 'examples/app-server', dir), p.path(dir), { recursive: true })
  await linkNodeModules(p.root)

  const { child, base, out } = await startExampleServer(t, join(repoRoot, 'examples/app-server/server.ts'), { appRoot: p.root, cwd: repoRoot, timeoutMs: 30_000 })
  const get = async (path: string) => (await fetch(base + path)).text()
  const pid = child.pid

  const first = await get('/')
  assert.match(first, /Edit config\/site\.json and reload this page\./)
  const firstCss = /href="([^"]+)"/.exec(first)?.[1]
  assert.match(firstCss ?? '', /^\/assets\/css\/site\.[0-9a-f]{8}\.css$/)
  assert.match(await get(firstCss ?? ''), /font-family: sans-serif/)

  await p.write('config/site.json', '{ "title": "hotreload app server", "message": "changed live", "port": 3000 }')
  await waitFor(async () => (await get('/')).includes('changed live'), { timeoutMs: 15_000, message: 'the new message' })

  // Wait for the rejection of this very content, reported after the write: a rejection of a
  // half-written file (the write above truncates first) says nothing about the bad title, and
  // a partial edited before the bad title was rejected lands in its batch and is held back with it.
  const beforeBadEdit = out.join('').length
  await p.write('config/site.json', '{ "title": "", "message": "must not show", "port": 3000 }')
  await waitFor(() => /rejected: config\/site\.json:\S* config "site": title /.test(out.join('').slice(beforeBadEdit)), {
    timeoutMs: 15_000,
    message: 'the bad edit rejected',
  })
  assert.match(await get('/'), /changed live/)

  await p.write('templates/partials/banner.hbs', '<h1 class="new">{{title}}</h1>\n')
  await waitFor(async () => (await get('/')).includes('<h1 class="new">'), { timeoutMs: 15_000, message: 'the new partial' })

  await p.write('static/css/site.css', 'body { font-family: serif; }\n')
  const newCss = await waitFor(async () => {
    const href = /href="([^"]+)"/.exec(await get('/'))?.[1]
    return href !== firstCss ? href : undefined
  }, { timeoutMs: 15_000, message: 'a new stylesheet URL' })
  assert.match(await get(newCss), /font-family: serif/)

  assert.equal(child.pid, pid)
  assert.equal(child.exitCode, null, 'the server never restarted')
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  child.kill('SIGTERM')
  assert.equal(await exited, 0)
})
