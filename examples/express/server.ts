// An express server whose pages follow its config, templates and stylesheet as they are edited,
// with no restart. Run: npm start --workspace examples/express
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import express from 'express'
import { createHotReload } from '@hotreload/core'
import options, { configs, files, views } from './hotreload.config.js'

const root = process.env['APP_ROOT'] ?? fileURLToPath(new URL('.', import.meta.url))
const reloader = await createHotReload({
  ...options,
  root,
  onEvent: (e) => {
    if (e.type === 'applied') console.log(`v${e.version}: ${e.paths.join(', ')} (${e.durationMs} ms)`)
    if (e.type === 'rejected') for (const p of e.problems) console.log(`rejected: ${p.path}:${p.line ?? '?'}:${p.column ?? '?'} ${p.message}`)
  },
})

const app = express()
app.get('/', (_req, res) => {
  // Committed values only: a rejected edit never shows, a valid one shows on the next request.
  const site = configs.get('site')
  const css = files.manifest()['css/site.css']
  res.type('html').send(views.render('index', { title: site.title, message: site.message, css: files.url('css/site.css'), integrity: css?.integrity }))
})
app.get('/config', (_req, res) => {
  res.json({ version: reloader.status().version, site: configs.get('site') })
})
// Fingerprinted names never change content, so browsers may keep them forever.
app.use('/assets', express.static(join(root, '.hotreload/public'), { immutable: true, maxAge: '1y' }))

const port = process.env['PORT'] !== undefined ? Number(process.env['PORT']) : configs.get('site').port
const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address()
  console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`)
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close()
    void reloader.close().then(() => process.exit(0))
  })
}
