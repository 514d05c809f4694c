// An HTTP server whose responses follow its config, templates and stylesheets as they are
// edited, with no restart. Run: npm start --workspace examples/app-server
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Type } from '@sinclair/typebox'
import { createHotReload } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import templates, { handlebars } from '@hotreload/plugin-templates'
import assets from '@hotreload/plugin-assets'

const root = process.env['APP_ROOT'] ?? fileURLToPath(new URL('.', import.meta.url))

const Site = Type.Object({
  title: Type.String({ minLength: 1 }),
  message: Type.String(),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
})

const configs = config({ schemas: { site: Site }, restartRequired: { site: ['port'] } })
const views = templates({ engine: handlebars() })
const files = assets({ outDir: 'public', publicPath: '/assets/' })
const reloader = await createHotReload({
  root,
  plugins: [configs, views, files],
  onEvent: (e) => {
    if (e.type === 'applied') console.log(`v${e.version}: ${e.paths.join(', ')} (${e.durationMs} ms)`)
    if (e.type === 'rejected') for (const p of e.problems) console.log(`rejected: ${p.path}:${p.line ?? '?'}:${p.column ?? '?'} ${p.message}`)
  },
})

// The typed stream: `site` is always the last committed, validated value.
let site = configs.get('site')
const stream = configs.watch('site')
const stopFollowing = stream.subscribe((next) => {
  if (next) site = next
})

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (url.pathname === '/') {
    // A Map lookup and a render: no I/O and no compilation on this path.
    const css = files.manifest()['css/site.css']
    const html = views.render('index', { title: site.title, message: site.message, css: files.url('css/site.css'), integrity: css?.integrity })
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html)
  } else if (url.pathname === '/config') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version: reloader.status().version, site }))
  } else if (url.pathname.startsWith('/assets/')) {
    const rel = normalize(url.pathname.slice('/assets/'.length))
    if (rel.startsWith('..')) return void res.writeHead(400).end()
    try {
      const body = await readFile(join(root, 'public', rel))
      // Fingerprinted names never change content, so browsers may keep them forever.
      res.writeHead(200, { 'content-type': 'text/css', 'cache-control': 'public, max-age=31536000, immutable' }).end(body)
    } catch {
      res.writeHead(404).end()
    }
  } else {
    res.writeHead(404).end()
  }
})

const port = process.env['PORT'] !== undefined ? Number(process.env['PORT']) : site.port
server.listen(port, '127.0.0.1', () => {
  const address = server.address()
  const actual = typeof address === 'object' && address ? address.port : port
  console.log(`listening on http://127.0.0.1:${actual}`)
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopFollowing()
    server.close()
    void reloader.close().then(() => process.exit(0))
  })
}
