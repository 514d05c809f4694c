/// <reference lib="dom" />
// (page.evaluate callbacks run in the page and use its globals.)
// examples/express and examples/fastify in a child process, like the app-server test: each edit
// shows up over HTTP with no restart, and a bad edit never does.
import assert from 'node:assert/strict'
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { chromium } from 'playwright-core'
import { findChromium } from '../packages/plugin-browser/test/setup.js'
import { repoRoot, runCli } from './helpers/cli.js'
import { startExampleServer } from './helpers/example-server.js'
import { makeTempProject, waitFor } from './helpers/index.js'

for (const framework of ['express', 'fastify']) {
  test(`examples/${framework}: typed config, templates and assets reload without a restart`, { timeout: 120_000 }, async (t) => {
    const example = join(repoRoot, 'examples', framework)
    const p = await makeTempProject({})
    t.after(() => p.cleanup())
    for (const dir of ['config', 'templates', 'static']) await cp(join(example, dir), p.path(dir), { recursive: true })

    // The CLI reads the same hotreload.config.ts the server imports.
    const checked = await runCli(['check', '--config', join(example, 'hotreload.config.ts'), '--root', p.root], p.root)
    assert.equal(checked.code, 0, `${checked.stdout}\n${checked.stderr}`)
    assert.match(checked.stdout, /✓ valid \(4 files checked\)/)

    const { child, base, out } = await startExampleServer(t, join(example, 'server.ts'), { appRoot: p.root, cwd: repoRoot })
    const get = async (path: string) => (await fetch(base + path)).text()
    const pid = child.pid

    const first = await get('/')
    assert.match(first, new RegExp(`<h1>hotreload \\+ ${framework}</h1>`))
    const firstCss = /href="([^"]+)"/.exec(first)?.[1] ?? ''
    assert.match(firstCss, /^\/assets\/css\/site\.[0-9a-f]{8}\.css$/)
    assert.match(await get(firstCss), /font-family: sans-serif/)

    await p.save('config/site.json', `{ "title": "${framework} live", "message": "changed live", "port": 3000 }`)
    await waitFor(async () => (await get('/')).includes('changed live'), { timeoutMs: 20_000, message: 'the new message' })
    assert.deepEqual(JSON.parse(await get('/config')).site, { title: `${framework} live`, message: 'changed live', port: 3000 })

    const beforeBad = out.join('').length
    await p.save('config/site.json', '{ "title": "", "message": "must not show", "port": 3000 }')
    await waitFor(() => /rejected: config\/site\.json:\S* config "site": title /.test(out.join('').slice(beforeBad)), { timeoutMs: 20_000, message: 'the bad edit rejected' })
    const beforePort = out.join('').length
    await p.save('config/site.json', `{ "title": "${framework} live", "message": "changed live", "port": 4000 }`)
    await waitFor(() => /restart needed/.test(out.join('').slice(beforePort)), { timeoutMs: 20_000, message: 'the port change refused' })
    assert.match(await get('/'), /changed live/)
    await p.save('config/site.json', `{ "title": "${framework} live", "message": "changed live", "port": 3000 }`)

    await p.save('templates/partials/banner.hbs', '<h1 class="new">{{title}}</h1>\n')
    await waitFor(async () => (await get('/')).includes('<h1 class="new">'), { timeoutMs: 20_000, message: 'the new partial' })

    await p.save('static/css/site.css', 'body { font-family: serif; }\n')
    const newCss = await waitFor(async () => {
      const href = /href="([^"]+)"/.exec(await get('/'))?.[1]
      return href !== firstCss ? href : undefined
    }, { timeoutMs: 20_000, message: 'a new stylesheet URL' })
    assert.match(await get(newCss), /font-family: serif/)

    assert.equal(child.pid, pid)
    assert.equal(child.exitCode, null, 'the server never restarted')
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    child.kill('SIGTERM')
    assert.equal(await exited, 0)
  })
}

// examples/fastify with @hotreload/plugin-browser, in a real Chromium (issue 14: "a fastify
// example uses the same pieces"): the client, its token and its socket come through fastify's
// own server, and an edit reaches the open page with no refresh.
test('examples/fastify in Chromium: a config edit re-renders the page in place, a CSS edit swaps the link, a bad edit shows its position', { timeout: 180_000 }, async (t) => {
  const executablePath = findChromium()
  if (!executablePath) {
    t.skip('chromium not found (install it, or set HOTRELOAD_CHROMIUM)')
    return
  }
  const example = join(repoRoot, 'examples', 'fastify')
  const p = await makeTempProject({})
  t.after(() => p.cleanup())
  for (const dir of ['config', 'templates', 'static']) await cp(join(example, dir), p.path(dir), { recursive: true })
  const { child, base, out } = await startExampleServer(t, join(example, 'server.ts'), { appRoot: p.root, cwd: repoRoot })

  const browser = await chromium.launch({ executablePath, args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] })
  t.after(() => browser.close())
  const context = await browser.newContext()
  const page = await context.newPage()
  let loads = 0
  page.on('load', () => loads++)
  await page.goto(`${base}/`)
  // The client loaded from fastify's route and opened its socket on fastify's server.
  await waitFor(() => page.evaluate(() => document.documentElement.dataset['hotreloadState'] === 'open' && (document.documentElement.dataset['hotreloadSynced'] ?? '') !== ''), { timeoutMs: 20_000, message: 'the page to connect and sync' })
  assert.equal(await page.textContent('h1'), 'hotreload + fastify')
  await page.evaluate(() => ((window as unknown as { __marker: string }).__marker = 'kept'))
  const notReloaded = async () => {
    assert.equal(await page.evaluate(() => (window as unknown as { __marker?: string }).__marker), 'kept', 'the window was not reloaded')
    assert.equal(loads, 1)
  }

  await p.save('config/site.json', '{ "title": "fastify live", "message": "pushed to the page", "port": 3000 }')
  await waitFor(async () => (await page.textContent('.message')) === 'pushed to the page', { timeoutMs: 20_000, message: 'the new message in the page' })
  assert.equal(await page.textContent('h1'), 'fastify live')
  await notReloaded()

  const oldCss = await page.getAttribute('link[rel=stylesheet]', 'href')
  await p.save('static/css/site.css', 'body { font-family: serif; background: rgb(10, 20, 30); }\n')
  await waitFor(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor === 'rgb(10, 20, 30)'), { timeoutMs: 20_000, message: 'the new stylesheet to apply' })
  await waitFor(() => page.evaluate(() => document.querySelectorAll('link[rel=stylesheet]').length === 1), { message: 'the old link to go' })
  const newCss = await page.getAttribute('link[rel=stylesheet]', 'href')
  assert.notEqual(newCss, oldCss)
  assert.match(newCss ?? '', /^\/assets\/css\/site\.[0-9a-f]{8}\.css$/)
  await notReloaded()

  await p.save('config/site.json', '{\n  "title": "",\n  "message": "must not show",\n  "port": 3000\n}\n')
  const error = await waitFor(
    () => page.evaluate(() => document.querySelector('hotreload-ui')?.shadowRoot?.querySelector('.toast.error:not(.hidden)')?.textContent ?? ''),
    { timeoutMs: 20_000, message: 'the error panel' },
  )
  assert.match(error, /config\/site\.json:2:\d+ /)
  assert.equal(await page.textContent('.message'), 'pushed to the page', 'the page keeps the last good text')
  await notReloaded()

  await context.close()
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  child.kill('SIGTERM')
  assert.equal(await exited, 0, out.join(''))
})
