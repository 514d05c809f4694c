/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (page.evaluate callbacks run in the page and use its globals.)
// Real servers and a real Chromium for the browser tests: the example app on a temp copy of its
// files, a node:http server on a free port, and Chromium driven by playwright-core with the
// system browser. Everything started here is stopped in `after` hooks, failures included.
import { existsSync } from 'node:fs'
import { cp } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { delimiter, join } from 'node:path'
import { after, before, test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { HotReloadEvent } from '@hotreload/core'
import { makeTempProject, waitFor, type TempProject } from '../../../test/helpers/index.js'
import { createExampleApp, type ExampleApp } from '../../../examples/browser/app.js'
import type { BrowserPluginOptions } from '../src/index.js'

const EXAMPLE = fileURLToPath(new URL('../../../examples/browser/', import.meta.url))

/** The system Chromium: `HOTRELOAD_CHROMIUM`, else `chromium` / `chromium-browser` on PATH. */
export function findChromium(): string | undefined {
  const fromEnv = process.env['HOTRELOAD_CHROMIUM']
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined
  for (const dir of (process.env['PATH'] ?? '').split(delimiter).filter(Boolean)) {
    for (const name of ['chromium', 'chromium-browser']) {
      if (existsSync(join(dir, name))) return join(dir, name)
    }
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined
}

const executablePath = findChromium()
const state: { browser?: Browser } = {}

/**
 * Declares the file's browser tests: one Chromium for the file (launched in `before`, closed
 * in `after`), a fresh context per test. Without Chromium each test skips itself by name.
 */
export function useBrowser(): (name: string, fn: (t: TestContext, browser: Browser) => Promise<void>) => void {
  before(async () => {
    if (!executablePath) return
    state.browser = await chromium.launch({
      executablePath,
      args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    })
  })
  after(async () => {
    await state.browser?.close()
  })
  return (name, fn) =>
    test(name, async (t) => {
      if (!executablePath || !state.browser) {
        t.skip('chromium not found (install it, or set HOTRELOAD_CHROMIUM)')
        return
      }
      await fn(t, state.browser)
    })
}

/** A page of a fresh context, with navigations counted and closed after the test. */
export async function openPage(t: TestContext, browser: Browser, url: string, context?: BrowserContext): Promise<{ page: Page; context: BrowserContext; loads: () => number }> {
  const ctx = context ?? (await browser.newContext())
  if (!context) t.after(() => ctx.close())
  const page = await ctx.newPage()
  let loads = 0
  page.on('load', () => loads++)
  await page.goto(url)
  await waitForSynced(page)
  return { page, context: ctx, loads: () => loads - 1 }
}

/** Waits until the client processed a `hello` (and returns the run:version it synced to). */
export function waitForSynced(page: Page, predicate: (synced: string) => boolean = () => true, timeoutMs = 10_000): Promise<string> {
  return waitFor(
    async () => {
      const synced = await page.evaluate(() => document.documentElement.dataset['hotreloadSynced'] ?? '')
      return synced !== '' && predicate(synced) ? synced : undefined
    },
    { timeoutMs, message: 'the page to sync with the server' },
  )
}

/** Text of the visible toasts, error panel first. */
export function toasts(page: Page): Promise<{ kind: string; text: string }[]> {
  return page.evaluate(() => {
    const root = document.querySelector('hotreload-ui')?.shadowRoot
    return [...(root?.querySelectorAll('.toast:not(.hidden)') ?? [])].map((el) => ({ kind: el.classList.contains('error') ? 'error' : el.classList.contains('info') ? 'info' : 'success', text: el.textContent ?? '' }))
  })
}

/** Texts of the page's workflow list. */
export function listItems(page: Page): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll('#workflows li')].map((li) => li.textContent ?? ''))
}

export function workflowsYaml(items: readonly [id: string, name: string, steps: number][], options: { title?: string; token?: string } = {}): string {
  return [
    `title: ${options.title ?? 'Workflows'}`,
    'workflows:',
    ...items.flatMap(([id, name, steps]) => [`  - id: ${id}`, `    name: ${name}`, `    steps: ${steps}`]),
    'integration:',
    '  endpoint: https://hooks.example.test/workflows',
    `  apiToken: ${options.token ?? 'tok-live-3a9f01c2e7'}`,
    '',
  ].join('\n')
}

export interface RunningExample {
  readonly project: TempProject
  readonly url: string
  readonly port: number
  app: ExampleApp
  readonly events: HotReloadEvent[]
  /** Requests matching this answer 404 (a stylesheet that vanished from the server). */
  block: ((req: IncomingMessage) => boolean) | undefined
  /** Drops every open socket (the WebSocket included) while the server stays up. */
  dropSockets(): void
  /** Stops the app and its server, as a crash or a deploy would. */
  stop(): Promise<void>
  /** Starts it again on the same port and files. */
  start(): Promise<void>
}

/** The example app on a temp copy of its files, served on 127.0.0.1 and a free port. */
export async function startExample(t: TestContext, options: { browser?: BrowserPluginOptions } = {}): Promise<RunningExample> {
  const project = await makeTempProject({}, 'hotreload-browser-')
  for (const dir of ['config', 'templates', 'static']) await cp(join(EXAMPLE, dir), project.path(dir), { recursive: true })
  let server: Server | undefined
  const sockets = new Set<Socket>()
  const events: HotReloadEvent[] = []
  let port = 0

  const running: RunningExample = {
    project,
    url: '',
    port: 0,
    app: undefined as unknown as ExampleApp,
    events,
    block: undefined,
    dropSockets() {
      for (const socket of sockets) socket.destroy()
    },
    async stop() {
      const s = server
      server = undefined
      if (!s) return
      const closed = new Promise<void>((resolve) => s.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await running.app.close()
      await closed
    },
    async start() {
      running.app = await createExampleApp({ root: project.root, ...(options.browser ? { browser: options.browser } : {}), onEvent: (e) => events.push(e) })
      const s = createServer((req: IncomingMessage, res: ServerResponse) => {
        if (running.block?.(req)) return void res.writeHead(404).end()
        running.app.handle(req, res)
      })
      s.on('connection', (socket) => {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
      })
      running.app.hot.attach(s)
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject)
        s.listen(port, '127.0.0.1', () => resolve())
      })
      server = s
      port = (s.address() as AddressInfo).port
      Object.assign(running, { port, url: `http://127.0.0.1:${port}/` })
    },
  }
  t.after(async () => {
    await running.stop()
    await project.cleanup()
  })
  await running.start()
  return running
}
