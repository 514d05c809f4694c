// A fastify server whose pages follow its config, templates and stylesheet as they are edited,
// with no restart. Run: npm start --workspace examples/fastify
import { readFile } from 'node:fs/promises'
import { join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
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

const app = Fastify()
app.get('/', async (_req, reply) => {
  // Committed values only: a rejected edit never shows, a valid one shows on the next request.
  const site = configs.get('site')
  const css = files.manifest()['css/site.css']
  return reply.type('text/html; charset=utf-8').send(views.render('index', { title: site.title, message: site.message, css: files.url('css/site.css'), integrity: css?.integrity }))
})
app.get('/config', async () => ({ version: reloader.status().version, site: configs.get('site') }))
app.get('/assets/*', async (req, reply) => {
  const rel = normalize((req.params as { '*': string })['*'])
  if (rel.startsWith('..')) return reply.code(400).send()
  try {
    const body = await readFile(join(root, '.hotreload/public', rel))
    // Fingerprinted names never change content, so browsers may keep them forever.
    return reply.type('text/css').header('cache-control', 'public, max-age=31536000, immutable').send(body)
  } catch {
    return reply.code(404).send()
  }
})
// The reloader closes with the server: fastify's onClose hook.
app.addHook('onClose', async () => reloader.close())

const port = process.env['PORT'] !== undefined ? Number(process.env['PORT']) : configs.get('site').port
const address = await app.listen({ port, host: '127.0.0.1' })
console.log(`listening on ${address}`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0))
  })
}
