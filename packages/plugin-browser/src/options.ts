import { checkOptions, type Plugin } from '@hotreload/core'
import { Type } from '@sinclair/typebox'
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

const Ms = Type.Number({ minimum: 0 })
const OptionsSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    prefix: Type.Optional(Type.String()),
    listen: Type.Optional(Type.Object({ port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535 })), host: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false })),
    allowedOrigins: Type.Optional(Type.Array(Type.String())),
    allowedHosts: Type.Optional(Type.Union([Type.Array(Type.String({ minLength: 1 })), Type.Literal(true)])),
    heartbeatMs: Type.Optional(Ms),
    reloadOnTemplates: Type.Optional(Type.Boolean()),
    // Plugin objects, not JSON data: checked below.
    redactWith: Type.Optional(Type.Array(Type.Any())),
    reconnectMinMs: Type.Optional(Ms),
    reconnectMaxMs: Type.Optional(Ms),
    lostNoticeMs: Type.Optional(Ms),
  },
  { additionalProperties: false },
)

/**
 * Checks `browser()`'s options and fills in defaults. Throws the core's `OptionsError` for an
 * unknown option (with a did-you-mean) or a wrong type, and a `BrowserOptionsError` naming the
 * option and the fix for a value that is well-typed but unusable. Never mutates `options`.
 */
export function resolveBrowserOptions(input: BrowserPluginOptions): ResolvedBrowserOptions {
  const options = checkOptions(OptionsSchema, input, { source: 'browser()', plugin: typeof input?.name === 'string' && input.name ? input.name : 'browser' }) as BrowserPluginOptions
  const name = options.name ?? 'browser'

  const prefix = options.prefix ?? DEFAULT_PREFIX
  if (!/^\/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~-]$/.test(prefix)) {
    throw new BrowserOptionsError(`option "prefix" must be a URL path like "/__hotreload", got ${JSON.stringify(prefix)}`, {
      hint: 'Start it with "/", do not end it with "/", and use only letters, digits and . _ ~ - /.',
    })
  }

  const listen = options.listen === undefined ? undefined : { port: options.listen.port ?? 0, host: options.listen.host ?? DEFAULT_HOST }

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
