/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (page.evaluate callbacks run in the page and use its globals.)
// Edits reaching a real Chromium: the example page's list, its error toast and its stylesheet.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import type { Page } from 'playwright-core'
import { waitFor } from '../../../test/helpers/index.js'
import { listItems, openPage, startExample, toasts, useBrowser, waitForSynced, workflowsYaml } from './setup.js'

const browserTest = useBrowser()

/** Records, in the page, when the list first shows `text` (page clock = this machine's clock). */
async function watchList(page: Page, text: string): Promise<void> {
  await page.evaluate((wanted) => {
    const w = window as unknown as { __listAt?: number }
    delete w.__listAt
    const list = document.getElementById('workflows') as HTMLElement
    const observer = new MutationObserver(() => {
      if (!list.textContent?.includes(wanted)) return
      w.__listAt = Date.now()
      observer.disconnect()
    })
    observer.observe(list, { childList: true, subtree: true, characterData: true })
  }, text)
}

const listedAt = (page: Page) => waitFor(() => page.evaluate(() => (window as unknown as { __listAt?: number }).__listAt), { timeoutMs: 10_000, message: 'the list to update' })
const mark = (page: Page) => page.evaluate(() => ((window as unknown as { __marker: string }).__marker = 'kept'))
const marker = (page: Page) => page.evaluate(() => (window as unknown as { __marker?: string }).__marker)

browserTest('a valid edit updates the DOM with no reload, within 500 ms of the write', async (t, browser) => {
  const app = await startExample(t)
  const { page, loads } = await openPage(t, browser, app.url)
  await mark(page)
  assert.deepEqual(await listItems(page), ['Onboarding (3 steps)', 'Invoicing (5 steps)'])
  // One edit first: the story is a dev server that is already running, past its cold start.
  await watchList(page, 'Warm')
  await app.project.save('config/workflows.yaml', workflowsYaml([['warm', 'Warm', 1]]))
  await listedAt(page)
  await watchList(page, 'Payroll')
  const wrote = Date.now()
  await app.project.save('config/workflows.yaml', workflowsYaml([['onboarding', 'Onboarding', 3], ['payroll', 'Payroll', 2]]))
  const at = await listedAt(page)
  t.diagnostic(`the DOM updated ${at - wrote} ms after the write`)
  assert.ok(at - wrote < 500, `the DOM updated ${at - wrote} ms after the write`)
  assert.deepEqual(await listItems(page), ['Onboarding (3 steps)', 'Payroll (2 steps)'])
  assert.equal(await marker(page), 'kept', 'the window was not reloaded')
  assert.equal(loads(), 0)
  const shown = await waitFor(async () => (await toasts(page)).find((x) => x.kind === 'success'), { message: 'a success toast' })
  assert.match(shown.text, /config\/workflows\.yaml applied in \d+ ms \(v3\)/)
})

browserTest('a plain writeFile and an atomic rename both update the page', async (t, browser) => {
  const app = await startExample(t)
  const { page, loads } = await openPage(t, browser, app.url)
  await mark(page)
  await watchList(page, 'Written')
  await app.project.write('config/workflows.yaml', workflowsYaml([['w', 'Written', 1]]))
  await listedAt(page)
  await watchList(page, 'Renamed')
  await app.project.save('config/workflows.yaml', workflowsYaml([['r', 'Renamed', 4]]))
  await listedAt(page)
  assert.deepEqual(await listItems(page), ['Renamed (4 steps)'])
  assert.equal(await marker(page), 'kept')
  assert.equal(loads(), 0)
})

browserTest('a broken YAML shows the error with file:line:column, and fixing the file clears it', async (t, browser) => {
  const app = await startExample(t)
  const { page } = await openPage(t, browser, app.url)
  await app.project.save('config/workflows.yaml', 'title: Workflows\ntitle: Twice\nworkflows: []\n')
  const error = await waitFor(async () => (await toasts(page)).find((x) => x.kind === 'error'), { message: 'the error toast' })
  assert.match(error.text, /rejected \(1 problem\), still serving v1/)
  assert.match(error.text, /config\/workflows\.yaml:2:1 /)
  // The page keeps the last good list.
  assert.deepEqual(await listItems(page), ['Onboarding (3 steps)', 'Invoicing (5 steps)'])
  // A page opened while the file is broken shows the error at once, from hello's last result.
  const late = await openPage(t, browser, app.url)
  const lateError = await waitFor(async () => (await toasts(late.page)).find((x) => x.kind === 'error'), { message: 'the error toast on a page opened late' })
  assert.match(lateError.text, /config\/workflows\.yaml:2:1 /)

  await app.project.save('config/workflows.yaml', workflowsYaml([['fixed', 'Fixed', 1]]))
  await waitFor(async () => (await listItems(page)).includes('Fixed (1 steps)'), { message: 'the fixed list' })
  await waitFor(async () => !(await toasts(page)).some((x) => x.kind === 'error'), { message: 'the error toast to clear' })
  await waitFor(async () => !(await toasts(late.page)).some((x) => x.kind === 'error'), { message: 'the late page\'s error toast to clear' })
})

browserTest('putting a broken file back to its applied bytes clears the error, with no transaction and no reload', async (t, browser) => {
  const app = await startExample(t)
  const { page } = await openPage(t, browser, app.url)
  const good = await readFile(app.project.path('config/workflows.yaml'), 'utf8')
  await app.project.save('config/workflows.yaml', 'title: Workflows\ntitle: Twice\nworkflows: []\n')
  await waitFor(async () => (await toasts(page)).find((x) => x.kind === 'error'), { message: 'the error toast' })
  await page.evaluate(() => ((window as unknown as { __notReloaded: boolean }).__notReloaded = true))
  await app.project.save('config/workflows.yaml', good)
  await waitFor(async () => !(await toasts(page)).some((x) => x.kind === 'error'), { message: 'the error toast to clear on the revert' })
  assert.equal(await page.evaluate(() => (window as unknown as { __notReloaded?: boolean }).__notReloaded), true)
  assert.deepEqual(await listItems(page), ['Onboarding (3 steps)', 'Invoicing (5 steps)'])
})

browserTest('a schema violation shows its keyPath and rule', async (t, browser) => {
  const app = await startExample(t)
  const { page } = await openPage(t, browser, app.url)
  await app.project.save('config/workflows.yaml', workflowsYaml([['zero', 'Zero', 0]]))
  const error = await waitFor(async () => (await toasts(page)).find((x) => x.kind === 'error'), { message: 'the error toast' })
  assert.match(error.text, /config\/workflows\.yaml:\d+:\d+ /)
  assert.match(error.text, /workflows\[0\]\.steps|workflows\.0\.steps/)
  assert.match(error.text, /minimum/)
})

browserTest('the error panel closes on Escape and on its button, and never blocks clicks on the page', async (t, browser) => {
  const app = await startExample(t)
  const { page } = await openPage(t, browser, app.url)
  await app.project.save('config/workflows.yaml', workflowsYaml([['zero', 'Zero', 0]]))
  await waitFor(async () => (await toasts(page)).some((x) => x.kind === 'error'), { message: 'the error toast' })
  // Whatever lies under the panel still gets the click: the panel is not a hit target.
  const underPanel = await page.evaluate(() => {
    const panel = document.querySelector('hotreload-ui')?.shadowRoot?.querySelector('.toast.error')
    const box = panel?.getBoundingClientRect()
    if (!box) return 'no panel'
    const hit = document.elementFromPoint(box.left + 4, box.top + box.height / 2)
    return hit?.tagName ?? 'nothing'
  })
  assert.notEqual(underPanel, 'HOTRELOAD-UI')
  await page.click('#clicks')
  assert.equal(await page.textContent('#clicks'), 'clicked 1 times')
  await page.keyboard.press('Escape')
  await waitFor(async () => !(await toasts(page)).some((x) => x.kind === 'error'), { message: 'Escape to close the panel' })

  await app.project.save('config/workflows.yaml', workflowsYaml([['neg', 'Negative', -1]]))
  await waitFor(async () => (await toasts(page)).some((x) => x.kind === 'error'), { message: 'the second error toast' })
  await page.locator('hotreload-ui button[aria-label="Close"]').click()
  await waitFor(async () => !(await toasts(page)).some((x) => x.kind === 'error'), { message: 'the close button to close the panel' })
})

browserTest('a CSS edit swaps the link with no reload, leaving exactly one <link>', async (t, browser) => {
  const app = await startExample(t)
  const { page, loads } = await openPage(t, browser, app.url)
  await mark(page)
  const before = await page.getAttribute('link[rel=stylesheet]', 'href')
  await app.project.save('static/css/app.css', 'body { background: rgb(10, 20, 30); }\n')
  await waitFor(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor === 'rgb(10, 20, 30)'), { message: 'the new stylesheet to apply' })
  await waitFor(() => page.evaluate(() => document.querySelectorAll('link[rel=stylesheet]').length === 1), { message: 'the old link to go' })
  const after = await page.getAttribute('link[rel=stylesheet]', 'href')
  assert.notEqual(after, before)
  assert.match(after ?? '', /^\/assets\/css\/app\.[0-9a-f]{8}\.css$/)
  assert.equal(await marker(page), 'kept')
  assert.equal(loads(), 0)
})

browserTest('a CSS 404 still removes the old link and reloads the page once', async (t, browser) => {
  const app = await startExample(t)
  const context = await browser.newContext()
  t.after(() => context.close())
  // Kept across the reload: which stylesheet links left the page, and when.
  await context.addInitScript(() => {
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.removedNodes) if (n instanceof HTMLLinkElement) sessionStorage.setItem('test:removed', `${sessionStorage.getItem('test:removed') ?? ''}${new URL(n.href).pathname} `)
    }).observe(document, { childList: true, subtree: true })
  })
  const { page, loads } = await openPage(t, browser, app.url, context)
  const old = await page.getAttribute('link[rel=stylesheet]', 'href')
  app.block = (req) => req.url?.startsWith('/assets/css/') === true && req.url !== old
  await app.project.save('static/css/app.css', 'body { background: rgb(1, 2, 3); }\n')
  await waitFor(() => loads() === 1, { message: 'the page to reload' })
  await waitForSynced(page)
  assert.match(await page.evaluate(() => sessionStorage.getItem('test:removed') ?? ''), new RegExp(`${old?.replaceAll('.', '\\.')} `))
  assert.equal(loads(), 1, 'reloaded once, no loop')
})

browserTest('rapid edits leave one toast', async (t, browser) => {
  const app = await startExample(t)
  const { page } = await openPage(t, browser, app.url)
  // Six applied transactions in quick succession, each one a success message to the page.
  for (let i = 1; i <= 6; i++) {
    const applied = app.events.filter((e) => e.type === 'applied').length
    await app.project.save('config/workflows.yaml', workflowsYaml([['rapid', `Rapid ${i}`, i]]))
    await waitFor(() => app.events.filter((e) => e.type === 'applied').length > applied, { message: `edit ${i} to apply` })
  }
  await waitFor(async () => (await listItems(page)).includes('Rapid 6 (6 steps)'), { message: 'the last edit' })
  const shown = await toasts(page)
  assert.equal(shown.length, 1, JSON.stringify(shown))
  assert.equal(shown[0]?.kind, 'success')
})

browserTest('two tabs both update', async (t, browser) => {
  const app = await startExample(t)
  const context = await browser.newContext()
  t.after(() => context.close())
  const one = await openPage(t, browser, app.url, context)
  const two = await openPage(t, browser, app.url, context)
  await waitFor(() => app.app.hot.clients() === 2, { message: 'two clients' })
  await app.project.save('config/workflows.yaml', workflowsYaml([['both', 'Both', 2]]))
  for (const { page } of [one, two]) await waitFor(async () => (await listItems(page)).includes('Both (2 steps)'), { message: 'each tab to update' })
})

browserTest('secret values never reach the page', async (t, browser) => {
  const secret = 'tok-live-3a9f01c2e7'
  const app = await startExample(t)
  const context = await browser.newContext()
  t.after(() => context.close())
  const page = await context.newPage()
  const frames: string[] = []
  const details: string[] = []
  page.on('websocket', (ws) => ws.on('framereceived', (frame) => frames.push(String(frame.payload))))
  await page.goto(app.url)
  await waitForSynced(page)
  await page.evaluate(() => addEventListener('hotreload:config', (e) => ((window as unknown as { __details: string[] }).__details ??= []).push(JSON.stringify((e as CustomEvent).detail))))
  const rotated = 'tok-live-ffee99887766'
  await app.project.save('config/workflows.yaml', workflowsYaml([['sec', 'Secret test', 1]], { token: rotated }))
  await waitFor(async () => (await listItems(page)).includes('Secret test (1 steps)'), { message: 'the edit' })
  details.push(...(await page.evaluate(() => (window as unknown as { __details?: string[] }).__details ?? [])))
  const status = await page.evaluate(async () => (await fetch('/__hotreload/status')).text())
  const everything = [await page.content(), ...frames, ...details, status].join('\n')
  assert.ok(frames.some((f) => f.includes('"type":"hello"')) && frames.some((f) => f.includes('"type":"applied"')), 'the frames were captured')
  assert.ok(details.length > 0 && everything.includes('[redacted]'))
  assert.ok(!everything.includes(secret) && !everything.includes(rotated), 'a secret value reached the page')
  assert.ok(!everything.includes(app.project.root), 'an absolute path reached the page')
})

browserTest('a template edit reloads the page once; with reloadOnTemplates: false it does not', async (t, browser) => {
  const banner = async (app: Awaited<ReturnType<typeof startExample>>, text: string) =>
    app.project.save('templates/index.hbs', (await readFile(app.project.path('templates/index.hbs'), 'utf8')).replace('<h1 id="title">', `<p id="banner">${text}</p><h1 id="title">`))

  const app = await startExample(t)
  const { page, loads } = await openPage(t, browser, app.url)
  await banner(app, 'live')
  await waitFor(() => loads() === 1, { message: 'the page to reload' })
  await waitForSynced(page)
  assert.equal(await page.textContent('#banner'), 'live')
  assert.equal(loads(), 1)

  const quiet = await startExample(t, { browser: { reloadOnTemplates: false } })
  const other = await openPage(t, browser, quiet.url)
  await mark(other.page)
  await banner(quiet, 'not shown')
  // The page processed the template's transaction (its synced version moved) and stayed.
  await waitForSynced(other.page, (s) => s.endsWith(':2'))
  assert.equal(await marker(other.page), 'kept')
  assert.equal(other.loads(), 0)
  assert.equal(await other.page.$('#banner'), null)
})
