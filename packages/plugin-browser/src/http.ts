// The HTTP endpoints under the prefix: the browser client, the token, status and reload.
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TransactionRecord } from '@hotreload/core'
import type { Guard } from './security.js'
import type { RequestHandler, ResultView, StatusView } from './types.js'

/** The browser client's modules, served as they are: plain ESM, no build step. */
const CLIENT_FILES = new Set(['client.js', 'connect.js', 'ui.js', 'css.js'])
const CLIENT_DIR = new URL('./client/', import.meta.url)

/** What the endpoints need from the plugin once it is applied. */
export interface Endpoints {
  readonly guard: Guard
  runId(): string
  version(): number
  status(): StatusView
  metrics(): Promise<string>
  reload(force: boolean): Promise<{ record: TransactionRecord; view: ResultView }>
  log(message: string): void
}

/** HTTP status of `POST /reload` by transaction status. */
const RELOAD_STATUS: Readonly<Record<string, number>> = { applied: 200, unchanged: 200, 'dry-run': 200, rejected: 422, aborted: 409, 'rolled-back': 500 }

export function createHandler(prefix: string, endpoints: () => Endpoints | undefined): RequestHandler {
  const clientCache = new Map<string, Promise<Buffer>>()
  const readClient = (file: string) => {
    let body = clientCache.get(file)
    if (!body) clientCache.set(file, (body = readFile(new URL(file, CLIENT_DIR))))
    return body
  }

  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) {
      if (next) next()
      else send(res, 404, 'text/plain', 'not found\n')
      return
    }
    void serve(req, res, url).catch((error: unknown) => {
      // The request failed after it was accepted; the page learns it from the status code.
      const message = error instanceof Error ? error.message : String(error)
      endpoints()?.log(`${req.method ?? 'GET'} ${url.pathname} failed: ${message}`)
      if (!res.headersSent) send(res, 500, 'text/plain', `hotreload: ${message}\n`)
      else res.destroy()
    })
  }

  async function serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = url.pathname.slice(prefix.length + 1)
    const method = req.method ?? 'GET'
    const ep = endpoints()
    if (!ep) return send(res, 503, 'text/plain', 'hotreload: the browser plugin is not added to a running hotreload instance yet\n')

    const hostRefusal = ep.guard.checkHost(req)
    if (hostRefusal) return refuse(res, ep, hostRefusal)

    if (CLIENT_FILES.has(route)) {
      if (method !== 'GET' && method !== 'HEAD') return notAllowed(res, 'GET')
      // A fresh client after every restart of the server, never a stale one from the cache. It
      // is public code: a module script from the `listen` server (another origin) needs CORS.
      return send(res, 200, 'text/javascript; charset=utf-8', await readClient(route), { 'cache-control': 'no-cache', 'access-control-allow-origin': '*' })
    }

    // Everything below tells something about the instance: only the page's own origin may read it.
    const originRefusal = ep.guard.checkOrigin(req, false) ?? (req.headers['sec-fetch-site'] === 'cross-site' ? 'a cross-site request' : undefined)
    if (originRefusal) return refuse(res, ep, originRefusal)

    // A page on an allowed origin (the `listen` server is another origin than the page) may
    // read the answers; the browser needs to be told so.
    const origin = req.headers.origin
    if (origin !== undefined) res.setHeader('access-control-allow-origin', origin).setHeader('vary', 'Origin')

    switch (route) {
      case 'token':
        if (method !== 'GET') return notAllowed(res, 'GET')
        return json(res, 200, { token: ep.guard.token, runId: ep.runId(), version: ep.version() })
      case 'status':
        if (method !== 'GET') return notAllowed(res, 'GET')
        return json(res, 200, ep.status())
      case 'metrics':
        // The instance's Prometheus metrics, for a scrape of the dev server (issue 16).
        if (method !== 'GET' && method !== 'HEAD') return notAllowed(res, 'GET')
        return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', await ep.metrics())
      case 'reload': {
        if (method !== 'POST') return notAllowed(res, 'POST')
        const token = req.headers['x-hotreload-token'] ?? url.searchParams.get('token')
        if (!ep.guard.checkToken(Array.isArray(token) ? token[0] : token)) return refuse(res, ep, 'the token is missing or stale; send it as the x-hotreload-token header (GET the token endpoint for it)')
        const force = ['1', 'true'].includes(url.searchParams.get('force') ?? '')
        const { view } = await ep.reload(force)
        return json(res, RELOAD_STATUS[view.status] ?? 500, view)
      }
      default:
        return send(res, 404, 'text/plain', `hotreload: no endpoint ${url.pathname}\n`)
    }
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ...headers })
  res.end(body)
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`)
}

function refuse(res: ServerResponse, ep: Endpoints, reason: string): void {
  ep.log(`refused a request: ${reason}`)
  send(res, 403, 'text/plain; charset=utf-8', `hotreload: ${reason}\n`)
}

function notAllowed(res: ServerResponse, allow: string): void {
  send(res, 405, 'text/plain', `hotreload: use ${allow}\n`, { allow })
}
