// Who may use the socket and the endpoints. Vite's advisory GHSA-vg6x-rcgg-rjx6 (CVE-2025-24010)
// was a web page on any origin opening the dev server's socket: every request here is checked for a
// local `Host` (against DNS rebinding), an `Origin` of the page's own host or the allow-list,
// and, for the socket and `POST /reload`, the per-run token (compared in constant time).
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'

/** Why a request is refused, for the 403 body: what is wrong and how to allow it. */
export type Refusal = string

export interface Guard {
  /** Fresh per process start; pages fetch it from `<prefix>/token`. */
  readonly token: string
  /** A refusal for a `Host` header that is not local or allowed, else undefined. */
  checkHost(req: IncomingMessage): Refusal | undefined
  /**
   * A refusal for a foreign `Origin`. Without an `Origin` header the request did not come from a
   * page (browsers send it on every WebSocket and POST); `required` refuses that too.
   */
  checkOrigin(req: IncomingMessage, required: boolean): Refusal | undefined
  /** True when `candidate` is this run's token. */
  checkToken(candidate: string | null | undefined): boolean
}

export function createGuard(options: { allowedOrigins: ReadonlySet<string>; allowedHosts: ReadonlySet<string> | true}): Guard {
  const token = randomBytes(24).toString('base64url')
  const expected = Buffer.from(token)

  const hostOf = (req: IncomingMessage): URL | undefined => {
    const header = req.headers.host
    if (!header) return undefined
    try {
      return new URL(`http://${header}`)
    } catch {
      // A Host header that is not a host[:port] is refused below, as an unknown host.
      return undefined
    }
  }

  return {
    token,
    checkHost(req) {
      const host = hostOf(req)
      if (!host) return `the Host header ${JSON.stringify(req.headers.host ?? '')} is missing or malformed`
      if (options.allowedHosts === true) return undefined
      const name = host.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
      if (name === 'localhost' || name.endsWith('.localhost') || isIP(name) !== 0 || options.allowedHosts.has(name)) return undefined
      return `the host "${name}" is not allowed; add it to browser({ allowedHosts: ["${name}"] }) if it may connect`
    },
    checkOrigin(req, required) {
      const origin = req.headers.origin
      if (origin === undefined) return required ? 'the request has no Origin header; only pages may open the socket' : undefined
      let parsed: URL
      try {
        parsed = new URL(origin)
      } catch {
        return `the Origin ${JSON.stringify(origin)} is not an origin`
      }
      if (parsed.host === req.headers.host || options.allowedOrigins.has(parsed.origin)) return undefined
      return `the origin ${parsed.origin} is not allowed; add it to browser({ allowedOrigins: ["${parsed.origin}"] }) if it may connect`
    },
    checkToken(candidate) {
      if (typeof candidate !== 'string') return false
      const given = Buffer.from(candidate)
      return given.length === expected.length && timingSafeEqual(given, expected)
    },
  }
}
