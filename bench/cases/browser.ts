/// <reference lib="dom" />
// (page.evaluate callbacks run in the page and use its globals.)
import { existsSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { writeFileAtomic } from '@hotreload/core'
import { summarize, type BenchRow } from '../lib/stats.js'

const CASE = 'browser: edit → DOM updated'
const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'browser')
/** The story's target ("the server detects the change within 500 ms"), Vite's usual promise too. */
const TARGET_MS = 500

function findChromium(): string | undefined {
  const fromEnv = process.env['HOTRELOAD_CHROMIUM']
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined
  for (const dir of (process.env['PATH'] ?? '').split(delimiter).filter(Boolean)) {
    if (existsSync(join(dir, 'chromium'))) return join(dir, 'chromium')
  }
  return undefined
}

const yaml = (i: number) => `title: Workflows\nworkflows:\n  - id: bench\n    name: Edit ${i}\n    steps: 1\nintegration:\n  endpoint: https://hooks.example.test\n  apiToken: t\n`

/**
 * Case 6: the example app (plugin-config + templates + assets + plugin-browser) with a page open
 * in Chromium. Each edit is timed from just before the save to (a) the kernel's `applied` event
 * in this process and (b) the page's list showing the new value (the page's own clock, which is
 * this machine's). The difference is what the socket and the page add to the kernel's time.
 */
export async function benchBrowser(options: { edits: number; log: (line: string) => void }): Promise<BenchRow[]> {
  const executablePath = findChromium()
  if (!executablePath) return [summarize(CASE, '(not run)', 'ms', [], { note: 'chromium not found (apt-get install chromium, or set HOTRELOAD_CHROMIUM)' })]
  const { chromium } = await import('playwright-core')
  const { createExampleApp } = await import('../../examples/browser/app.js')

  const root = await mkdtemp(join(tmpdir(), 'hotreload-bench-browser-'))
  for (const dir of ['config', 'templates', 'static']) await cp(join(EXAMPLE, dir), join(root, dir), { recursive: true })
  let appliedAt: number
  const app = await createExampleApp({ root, onEvent: (e) => e.type === 'applied' && (appliedAt = Date.now()) })
  const server = createServer(app.handle)
  app.hot.attach(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const browser = await chromium.launch({ executablePath, args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] })
  const kernel: number[] = []
  const dom: number[] = []
  let missed = 0
  try {
    const page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    await page.waitForFunction(() => document.documentElement.dataset['hotreloadSynced'] !== undefined)
    for (let i = 0; i < options.edits + 2; i++) {
      const wanted = `Edit ${i}`
      await page.evaluate((text) => {
        const w = window as unknown as { __at?: number }
        delete w.__at
        const list = document.getElementById('workflows') as HTMLElement
        const observer = new MutationObserver(() => {
          if (!list.textContent?.includes(text)) return
          w.__at = Date.now()
          observer.disconnect()
        })
        observer.observe(list, { childList: true, subtree: true, characterData: true })
      }, wanted)
      appliedAt = 0
      const wrote = Date.now()
      await writeFileAtomic(join(root, 'config/workflows.yaml'), yaml(i), { fsync: false })
      try {
        const at = await page.waitForFunction(() => (window as unknown as { __at?: number }).__at, undefined, { timeout: 5_000, polling: 5 })
        // The first two edits warm up the watcher, the socket and the page's JIT.
        if (i < 2) continue
        dom.push(((await at.jsonValue()) ?? wrote) - wrote)
        if (appliedAt > 0) kernel.push(appliedAt - wrote)
      } catch (error) {
        missed++
        options.log(`  browser: edit ${i} not seen in the page: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
      }
    }
  } finally {
    await browser.close()
    await app.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    await rm(root, { recursive: true, force: true })
  }
  options.log(`  browser: ${dom.length} edits measured, ${missed} missed`)
  const debounce = 'debounce 50 ms, atomic save'
  return [
    summarize(CASE, 'kernel applied event (same edits)', 'ms', kernel, { baseline: true, note: debounce }),
    summarize(CASE, 'list updated in Chromium', 'ms', dom, { note: `${missed} missed; socket + page over the kernel` }),
    summarize(CASE, 'story target (Vite-like 500 ms)', 'ms', [TARGET_MS], { note: 'upper anchor, not measured' }),
  ]
}
