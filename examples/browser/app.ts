// The browser example as a function: a page listing `config/workflows.yaml`, styled by
// `static/css/app.css`, rendered from `templates/index.hbs`, kept current in the browser by
// @hotreload/plugin-browser. server.ts runs it; the browser tests start it on a temp copy.
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, normalize } from 'node:path'
import { Type } from '@sinclair/typebox'
import { createHotReload, type HotReload, type HotReloadEvent } from '@hotreload/core'
import assets from '@hotreload/plugin-assets'
import browser, { type BrowserPlugin, type BrowserPluginOptions } from '@hotreload/plugin-browser'
import config, { type ConfigPlugin } from '@hotreload/plugin-config'
import templates, { handlebars } from '@hotreload/plugin-templates'

const Workflows = Type.Object({
  title: Type.String({ minLength: 1 }),
  workflows: Type.Array(Type.Object({ id: Type.String({ minLength: 1 }), name: Type.String({ minLength: 1 }), steps: Type.Integer({ minimum: 1 }) })),
  integration: Type.Object({ endpoint: Type.String(), apiToken: Type.String() }),
})
const schemas = { workflows: Workflows }

export interface ExampleApp {
  readonly reloader: HotReload
  readonly configs: ConfigPlugin<typeof schemas>
  readonly hot: BrowserPlugin
  /** The app's request handler: the hotreload endpoints first, then the page and its assets. */
  handle(req: IncomingMessage, res: ServerResponse): void
  close(): Promise<void>
}

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml' }

export async function createExampleApp(options: { root: string; debounceMs?: number; browser?: BrowserPluginOptions; onEvent?: (event: HotReloadEvent) => void }): Promise<ExampleApp> {
  const configs = config({ schemas, env: '' })
  const views = templates({ engine: handlebars() })
  const files = assets({ outDir: 'public', publicPath: '/assets/' })
  // redactWith: the config plugin's own rule masks `integration.apiToken` before it is sent.
  const hot = browser({ redactWith: [configs], ...options.browser })
  const reloader = await createHotReload({
    root: options.root,
    debounceMs: options.debounceMs ?? 50,
    plugins: [configs, views, files, hot],
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  })

  async function page(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname === '/') {
      const { title, workflows } = configs.get('workflows')
      const html = views.render('index', {
        title,
        workflows,
        css: files.url('css/app.css'),
        integrity: files.manifest()['css/app.css']?.integrity,
        hotreload: hot.scriptTag({ templates: ['index'] }),
      })
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html)
      return
    }
    if (url.pathname.startsWith('/assets/')) {
      const rel = normalize(url.pathname.slice('/assets/'.length))
      if (rel.startsWith('..')) return void res.writeHead(400).end()
      try {
        const body = await readFile(join(options.root, 'public', rel))
        // Fingerprinted names never change content: browsers may keep them forever.
        res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream', 'cache-control': 'public, max-age=31536000, immutable' }).end(body)
      } catch {
        res.writeHead(404).end()
      }
      return
    }
    res.writeHead(404).end()
  }

  return {
    reloader,
    configs,
    hot,
    handle: (req, res) =>
      hot.handler(req, res, () => {
        page(req, res).catch((error: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`${error instanceof Error ? error.message : String(error)}\n`)
        })
      }),
    close: () => reloader.close(),
  }
}
