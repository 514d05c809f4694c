/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (page.evaluate callbacks run in the page and use its globals.)
// The connection from a real Chromium: dropped sockets, a restarted server, a background tab.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { createHotReload } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import { makeTempProject, waitFor } from '../../../test/helpers/index.js'
import { browser as browserPlugin } from '../src/index.js'
import { listItems, openPage, startExample, toasts, useBrowser, waitForSynced, workflowsYaml } from './setup.js'

const browserTest = useBrowser()

const connectionState = (page: Page) => page.evaluate(() => document.documentElement.dataset['hotreloadState'])
const mark = (page: Page) => page.evaluate(() => ((window as unknown as { __marker: string }).__marker = 'kept'))
const marker = (page: Page) => page.evaluate(() => (window as unknown as { __marker?: string }).__marker)

/**
 * Playwright keeps pages visible; a hidden tab is emulated the way the page sees one. Passed as
 * source text: tsx would wrap the getters in a `__name` helper the page does not have.
 */
function setVisibility(page: Page, visibility: 'hidden' | 'visible'): Promise<void> {
  const hidden = visibility === 'hidden'
  return page.evaluate(`(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: function () { return ${JSON.stringify(visibility)} } })
    Object.defineProperty(document, 'hidden', { configurable: true, get: function () { return ${hidden} } })
    document.dispatchEvent(new Event('visibilitychange'))
  })()`)
}

browserTest('the socket dropped while the server is up reconnects', async (t, browser) => {
  const app = await startExample(t)
  const { page, loads } = await openPage(t, browser, app.url)
  await mark(page)
  const states: string[] = []
  await page.exposeFunction('__state', (s: string) => states.push(s))
  await page.evaluate(() => new MutationObserver(() => (window as unknown as { __state(s: string): void }).__state(document.documentElement.dataset['hotreloadState'] ?? '')).observe(document.documentElement, { attributes: true, attributeFilter: ['data-hotreload-state'] }))
  app.dropSockets()
  await waitFor(() => states.includes('reconnecting'), { message: 'the page to notice the drop' })
  await waitFor(async () => (await connectionState(page)) === 'open' && app.app.hot.clients() === 1, { message: 'the page to reconnect' })
  await app.project.save('config/workflows.yaml', workflowsYaml([['after', 'After drop', 1]]))
  await waitFor(async () => (await listItems(page)).includes('After drop (1 steps)'), { message: 'an edit after the reconnect' })
  assert.equal(await marker(page), 'kept')
  assert.equal(loads(), 0)
  // A quick reconnect stays silent: the "connection lost" notice waits lostNoticeMs.
  assert.ok(!states.includes('lost') || (await toasts(page)).every((x) => x.kind !== 'info'))
})

browserTest('a server restart with edits made while it was down brings the page up to date, reloading at most once', async (t, browser) => {
  const app = await startExample(t)
  const { page, loads } = await openPage(t, browser, app.url)
  await mark(page)
  const [firstRun, firstVersion] = (await waitForSynced(page)).split(':')
  const token = await page.evaluate(async () => (await (await fetch('/__hotreload/token')).json()).token as string)

  await app.stop()
  // "connection lost" shows, but only once the socket stayed down for lostNoticeMs.
  await waitFor(async () => (await connectionState(page)) === 'lost', { message: 'the page to give the connection up as lost' })
  assert.match((await toasts(page)).find((x) => x.kind === 'info')?.text ?? '', /connection to the server lost/)
  await app.project.save('config/workflows.yaml', workflowsYaml([['down', 'Edited while down', 2]]))
  await app.project.save('static/css/app.css', 'body { background: rgb(40, 50, 60); }\n')
  // A stylesheet this page does not link is in the next hello too; it is not this page's.
  await app.project.save('static/css/unlinked.css', 'p { color: red; }\n')
  await app.start()

  // Config and CSS catch up in place: no reload.
  const synced = await waitForSynced(page, (s) => !s.startsWith(`${firstRun}:`), 20_000)
  // The version continues from the persisted counter: the edits made while down are a new one.
  assert.ok(Number(synced.split(':')[1]) > Number(firstVersion), `${synced} after ${firstRun}:${firstVersion}`)
  await waitFor(async () => !(await toasts(page)).some((x) => x.kind === 'info'), { message: 'the lost notice to go' })
  await waitFor(async () => (await listItems(page)).includes('Edited while down (2 steps)'), { message: 'the list to catch up' })
  await waitFor(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor === 'rgb(40, 50, 60)'), { message: 'the stylesheet to catch up' })
  assert.equal(await page.evaluate(() => document.querySelectorAll('link[rel=stylesheet]').length), 1)
  assert.equal(await marker(page), 'kept')
  assert.equal(loads(), 0)
  const fresh = await page.evaluate(async () => (await (await fetch('/__hotreload/token')).json()).token as string)
  assert.notEqual(fresh, token, 'a new token after the restart')

  // A template edited while down can only be shown by a reload: exactly one.
  await app.stop()
  await waitFor(async () => (await connectionState(page)) !== 'open', { message: 'the page to notice the second stop' })
  await app.project.save('templates/index.hbs', (await readFile(app.project.path('templates/index.hbs'), 'utf8')).replace('<h1 id="title">', '<p id="banner">restarted</p><h1 id="title">'))
  await app.start()
  await waitFor(() => loads() === 1, { timeoutMs: 20_000, message: 'one reload for the template' })
  const after = await waitForSynced(page, (s) => s !== synced, 20_000)
  assert.equal(await page.textContent('#banner'), 'restarted')
  assert.ok(after.length > 0)
  assert.equal(loads(), 1, 'no reload loop')
})

browserTest('a background tab pauses, then reconnects and catches up when shown', async (t, browser) => {
  const app = await startExample(t)
  const { page, loads } = await openPage(t, browser, app.url)
  await mark(page)
  await setVisibility(page, 'hidden')
  app.dropSockets()
  await waitFor(async () => (await connectionState(page)) === 'paused', { message: 'the hidden tab to pause' })
  assert.equal(app.app.hot.clients(), 0)
  await app.project.save('config/workflows.yaml', workflowsYaml([['bg', 'While hidden', 3]]))
  await waitFor(() => app.events.some((e) => e.type === 'applied' && e.version === 2), { message: 'the edit to apply' })
  assert.equal(await connectionState(page), 'paused', 'no reconnect while hidden')

  await setVisibility(page, 'visible')
  await waitFor(async () => (await listItems(page)).includes('While hidden (3 steps)'), { message: 'the shown tab to catch up' })
  assert.equal(await connectionState(page), 'open')
  assert.equal(await marker(page), 'kept')
  assert.equal(loads(), 0)
})

browserTest('with listen, a page of another origin named in allowedOrigins connects and updates; others are refused', async (t, browser) => {
  const project = await makeTempProject({ 'config/site.json': '{ "title": "first" }\n' }, 'hotreload-browser-listen-')
  t.after(() => project.cleanup())
  // The page's own server knows nothing of hotreload: it only links the client from the plugin's.
  let pluginOrigin = ''
  const pages = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><p id="title">first</p>
<script>addEventListener('hotreload:config', (e) => { document.getElementById('title').textContent = e.detail.value.title })</script>
<script type="module" src="${pluginOrigin}/__hotreload/client.js"></script>`)
  })
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', () => resolve()))
  t.after(() => new Promise<void>((resolve) => pages.close(() => resolve())))
  const pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`
  const hot = browserPlugin({ listen: { port: 0 }, allowedOrigins: [pageOrigin] })
  const reloader = await createHotReload({ root: project.root, debounceMs: 20, plugins: [config({ env: '' }), hot] })
  t.after(() => reloader.close())
  pluginOrigin = `http://127.0.0.1:${hot.address()?.port ?? 0}`

  const context = await browser.newContext()
  t.after(() => context.close())
  const page = await context.newPage()
  await page.goto(`${pageOrigin}/`)
  await waitForSynced(page)
  await project.save('config/site.json', '{ "title": "second" }\n')
  await waitFor(async () => (await page.textContent('#title')) === 'second', { message: 'the cross-origin page to update' })

  // The same page served from an origin not on the list is refused.
  const stranger = await context.newPage()
  await stranger.goto(`http://localhost:${(pages.address() as AddressInfo).port}/`)
  await waitFor(async () => (await connectionState(stranger)) === 'lost', { message: 'the foreign page to give up as lost' })
  assert.equal(hot.clients(), 1)
})
