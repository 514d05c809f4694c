import type { Plugin } from '@hotreload/core'
import { BrowserOptionsError } from './errors.js'
import type { BrowserPluginOptions, ClientSettings } from './types.js'

/** The subprotocol the socket speaks; a client asking for another one is refused. */
export const PROTOCOL = 'hotreload-v1'

export const DEFAULT_PREFIX = '/__hotreload'
export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_HEARTBEAT_MS = 10_000

export interface ResolvedBrowserOptions {
  readonly name: string
  readonly prefix: string
  readonly listen: { readonly port: number; readonly host: string } | undefined
  readonly allowedOrigins: ReadonlySet<string>
  readonly allowedHosts: ReadonlySet<string> | true
  readonly redactWith: readonly Plugin[]
  readonly client: ClientSettings
}

const KNOWN = new Set([
  'name', 'prefix', 'listen', 'allowedOrigins', 'allowedHosts', 'heartbeatMs', 'reloadOnTemplates',
  'redactWith', 'reconnectMinMs', 'reconnectMaxMs', 'lostNoticeMs',
])

/** Checks the options and fills in defaults; throws `BrowserOptionsError` naming the option and the fix. */
export function resolveBrowserOptions(options: BrowserPluginOptions): ResolvedBrowserOptions {
  if (typeof options !== 'object' || options === null) throw new BrowserOptionsError('browser() takes an options object', { hint: 'Call browser() or browser({ prefix: "/__hotreload" }).' })
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new BrowserOptionsError(`unknown option "${key}" passed to browser()`, { hint: `Use one of: ${[...KNOWN].join(', ')}.` })
  }
  const name = options.name ?? 'browser'
  if (typeof name !== 'string' || name === '') throw new BrowserOptionsError('option "name" must be a non-empty string', { hint: 'Leave it out to use "browser".' })

  const prefix = options.prefix ?? DEFAULT_PREFIX
  if (typeof prefix !== 'string' || !/^\/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~-]$/.test(prefix)) {
    throw new BrowserOptionsError(`option "prefix" must be a URL path like "/__hotreload", got ${JSON.stringify(prefix)}`, {
      hint: 'Start it with "/", do not end it with "/", and use only letters, digits and . _ ~ - /.',
    })
  }

  let listen: ResolvedBrowserOptions['listen']
  if (options.listen !== undefined) {
    const port = options.listen.port ?? 0
    const host = options.listen.host ?? DEFAULT_HOST
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new BrowserOptionsError(`option "listen.port" must be an integer from 0 to 65535, got ${String(port)}`, { hint: 'Use 0 for any free port.' })
    if (typeof host !== 'string' || host === '') throw new BrowserOptionsError('option "listen.host" must be a host name or address', { hint: `Leave it out to listen on ${DEFAULT_HOST} only.` })
    listen = { port, host }
  }

  const allowedOrigins = new Set<string>()
  for (const origin of options.allowedOrigins ?? []) {
    let parsed: URL
    try {
      parsed = new URL(origin)
    } catch (error) {
      throw new BrowserOptionsError(`option "allowedOrigins" holds ${JSON.stringify(origin)}, which is not an origin`, { hint: 'Write origins as scheme://host[:port], e.g. "https://app.example.test".', cause: error })
    }
    allowedOrigins.add(parsed.origin)
  }
  const hosts = options.allowedHosts
  if (hosts !== undefined && hosts !== true && !Array.isArray(hosts)) throw new BrowserOptionsError('option "allowedHosts" must be a list of host names or true', { hint: 'e.g. allowedHosts: ["app.example.test"].' })
  const allowedHosts = hosts === true ? true : new Set((hosts ?? []).map((h) => h.toLowerCase()))

  for (const plugin of options.redactWith ?? []) {
    if (typeof plugin?.redactEvent !== 'function') throw new BrowserOptionsError(`option "redactWith" holds ${JSON.stringify(plugin?.name ?? plugin)}, which has no redactEvent()`, { hint: 'Pass the config plugin instances, e.g. redactWith: [configs].' })
  }

  const ms = (key: 'heartbeatMs' | 'reconnectMinMs' | 'reconnectMaxMs' | 'lostNoticeMs', fallback: number, min: number): number => {
    const value = options[key] ?? fallback
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) throw new BrowserOptionsError(`option "${key}" must be a number of milliseconds, at least ${min}, got ${String(value)}`, { hint: `Leave it out for ${fallback}.` })
    return value
  }
  const reconnectMinMs = ms('reconnectMinMs', 250, 10)
  const reconnectMaxMs = ms('reconnectMaxMs', 10_000, 10)
  if (reconnectMaxMs < reconnectMinMs) throw new BrowserOptionsError(`option "reconnectMaxMs" (${reconnectMaxMs}) is below "reconnectMinMs" (${reconnectMinMs})`, { hint: 'The cap must be at least the first delay.' })

  return Object.freeze({
    name,
    prefix,
    listen,
    allowedOrigins,
    allowedHosts,
    redactWith: Object.freeze([...(options.redactWith ?? [])]),
    client: Object.freeze({
      heartbeatMs: ms('heartbeatMs', DEFAULT_HEARTBEAT_MS, 50),
      reloadOnTemplates: options.reloadOnTemplates ?? true,
      reconnectMinMs,
      reconnectMaxMs,
      lostNoticeMs: ms('lostNoticeMs', 1_500, 0),
    }),
  })
}
