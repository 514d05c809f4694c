import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { HotReloadEvent, Kernel } from '@hotreload/core'
import { BrowserListenError } from './errors.js'
import { createPathScrubber, createRedactor, toErrorView, toEventView, toResultView, type ConfigRedaction, type Redactor } from './events.js'
import { createHandler, type Endpoints } from './http.js'
import { injectTag, scriptTag } from './html.js'
import { linkKernel, type EndedTransaction, type KernelLink } from './kernel-link.js'
import { resolveBrowserOptions, type ResolvedBrowserOptions } from './options.js'
import { PageState } from './page-state.js'
import { createGuard } from './security.js'
import { createSocketHub, type SocketHub } from './socket.js'
import type { BrowserPlugin, BrowserPluginOptions, RequestHandler, ScriptTagOptions, ServerMessage, StatusView } from './types.js'

/**
 * Creates the browser plugin: pass it to `createHotReload({ plugins })` and keep it to mount
 * `handler` and `attach(server)` on the app's server (or set `listen`). Once the instance runs,
 * every page that loads `<prefix>/client.js` hears of each committed change, rejection,
 * rollback and error. Throws a `BrowserOptionsError` at once for bad options.
 */
export function browser(options: BrowserPluginOptions = {}): BrowserPlugin {
  return new BrowserPluginInstance(resolveBrowserOptions(options))
}

// Outcomes the page hears of besides `applied`; a dry run committed nothing and says nothing.
const OTHER_OUTCOMES: ReadonlySet<string> = new Set(['rejected', 'rolled-back', 'aborted', 'unchanged'])

interface Running {
  readonly link: KernelLink
  readonly hub: SocketHub
  readonly endpoints: Endpoints
  readonly state: PageState
  readonly redact: Redactor
  readonly scrub: (text: string) => string
}

class BrowserPluginInstance implements BrowserPlugin {
  readonly name: string
  readonly handler: RequestHandler
  readonly #settings: ResolvedBrowserOptions
  #running: Running | undefined
  #standalone: Server | undefined
  #closing: Promise<void> | undefined
  // Servers attached before apply are wired up once the hub exists.
  readonly #attached = new Map<Server, () => void>()

  constructor(settings: ResolvedBrowserOptions) {
    this.#settings = settings
    this.name = settings.name
    this.handler = createHandler(settings.prefix, () => this.#running?.endpoints)
  }

  async apply(kernel: Kernel): Promise<void> {
    const link = linkKernel(kernel, this.name)
    const scrub = createPathScrubber(kernel.root)
    const redact = createRedactor(this.#settings.redactWith, await loadConfigRedaction())
    const guard = createGuard(this.#settings)
    const state = new PageState()
    const log = (message: string) => link.log.debug(`browser: ${message}`)
    const base = () => ({ runId: link.runId, version: link.version(), time: new Date().toISOString() })
    const hub = createSocketHub({
      path: `${this.#settings.prefix}/socket`,
      guard,
      heartbeatMs: this.#settings.client.heartbeatMs,
      hello: () => state.hello(base(), this.#settings.client),
      heartbeat: () => ({ type: 'heartbeat', ...base() }),
      log,
    })
    const endpoints: Endpoints = {
      guard,
      runId: () => link.runId,
      version: () => link.version(),
      status: () => this.#status(),
      metrics: () => link.metrics(),
      reload: async (force) => {
        const record = await link.reload(force ? { force } : {})
        return { record, view: toResultView(record, scrub) }
      },
      log,
    }
    this.#running = { link, hub, endpoints, state, redact, scrub }
    for (const server of this.#attached.keys()) this.#attached.set(server, hub.attach(server))

    link.onTransaction((ended) => this.#forward(ended))
    link.onError((error) => hub.broadcast({ type: 'error', ...base(), error: toErrorView(error, scrub) }))
    link.onResolved((paths) => {
      state.last = null
      hub.broadcast({ type: 'resolved', ...base(), paths })
    })
    link.onClose(() => this.close())

    // A dry run (`hotreload check`, read-only commands) serves no page: it opens no port either.
    if (this.#settings.listen && !kernel.options.dryRun) await this.#listen(this.#settings.listen)
  }

  attach(server: Server): () => void {
    if (this.#attached.has(server)) return this.#attached.get(server) ?? (() => {})
    this.#attached.set(server, this.#running?.hub.attach(server) ?? (() => {}))
    return () => {
      this.#attached.get(server)?.()
      this.#attached.delete(server)
    }
  }

  address(): AddressInfo | undefined {
    const address = this.#standalone?.address()
    return typeof address === 'object' && address !== null ? address : undefined
  }

  scriptTag(options: ScriptTagOptions = {}): string {
    const link = this.#running?.link
    return scriptTag(this.#settings.prefix, link ? { runId: link.runId, version: link.version() } : undefined, options)
  }

  inject(html: string, options: ScriptTagOptions = {}): string {
    return injectTag(html, this.scriptTag(options))
  }

  clients(): number {
    return this.#running?.hub.clients() ?? 0
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const detach of this.#attached.values()) detach()
      await this.#running?.hub.close()
      const server = this.#standalone
      if (server) {
        await new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeAllConnections()
      }
    })()
    return this.#closing
  }

  #forward(ended: EndedTransaction): void {
    const running = this.#running
    if (!running) return
    const { record } = ended
    const view = toResultView(record, running.scrub)
    running.state.last = view
    const base = { runId: running.link.runId, time: new Date().toISOString() }
    const { version: _version, ...result } = view
    let message: ServerMessage
    if (record.status === 'applied') {
      const redacted: HotReloadEvent[] = ended.events.map(running.redact)
      running.state.apply(ended, redacted)
      message = { type: 'applied', ...base, ...result, version: record.version, events: redacted.map(toEventView) }
    } else if (OTHER_OUTCOMES.has(record.status)) {
      message = { type: record.status as 'rejected' | 'rolled-back' | 'aborted' | 'unchanged', ...base, ...result, version: record.version }
    } else {
      return
    }
    running.hub.broadcast(message)
  }

  #status(): StatusView {
    const running = this.#running
    if (!running) throw new Error('the browser plugin is not applied')
    const status = running.link.status()
    return {
      runId: status.runId,
      version: status.version,
      watching: status.watching,
      busy: status.busy,
      pending: status.pending,
      last: status.last ? toResultView(status.last, running.scrub) : null,
      counters: status.counters,
      plugins: status.plugins,
      clients: running.hub.clients(),
    }
  }

  async #listen({ port, host }: { port: number; host: string }): Promise<void> {
    const running = this.#running
    if (!running) return
    const server = createServer((req, res) => this.handler(req, res))
    running.hub.attach(server)
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new BrowserListenError(`the browser plugin could not listen on ${host}:${port}: ${error.code ?? error.message}`, { hint: error.code === 'EADDRINUSE' ? 'Choose another port, or 0 for any free port.' : 'Check the host and port of the listen option.', cause: error })),
      )
      server.listen(port, host, () => resolve())
    })
    this.#standalone = server
  }
}

/**
 * plugin-config's redaction rules, when it is installed. It is an optional peer: without it no
 * `config:changed` event can exist, and the redactor sends no values at all.
 */
async function loadConfigRedaction(): Promise<ConfigRedaction | undefined> {
  try {
    const { redact, redactDiff } = await import('@hotreload/plugin-config')
    return { redact, redactDiff }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined
    throw error
  }
}
