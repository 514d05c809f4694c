import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ChangeSummary, Plugin } from '@hotreload/core'

/** Options of `browser()`. Every option is optional. */
export interface BrowserPluginOptions {
  /** Plugin name in history and logs. Default `browser`. */
  readonly name?: string
  /**
   * The one path prefix everything is served under: the socket (`<prefix>/socket`), the client
   * (`<prefix>/client.js`), `<prefix>/status`, `<prefix>/reload` and `<prefix>/token`.
   * Default `/__hotreload`.
   */
  readonly prefix?: string
  /**
   * Starts a standalone server for the socket and the endpoints, for apps whose own server the
   * plugin cannot reach. `host` defaults to `127.0.0.1`, `port` to 0 (any free port; read it
   * from `address()`). The page must then load the client from that origin.
   */
  readonly listen?: { readonly port?: number; readonly host?: string }
  /**
   * Origins (`https://app.example.test:8443`) allowed besides the page's own, i.e. besides an
   * `Origin` whose host equals the `Host` header. Use it when the page is served by another
   * origin than the socket (the `listen` option).
   */
  readonly allowedOrigins?: readonly string[]
  /**
   * Host names accepted in the `Host` header besides `localhost`, `*.localhost` and IP
   * addresses; `true` accepts any. Refusing unknown hosts stops DNS-rebinding pages.
   */
  readonly allowedHosts?: readonly string[] | true
  /** How often the server sends a heartbeat; a client that missed one is dropped. Default 10 000 ms. */
  readonly heartbeatMs?: number
  /** A committed template change reloads pages rendered from it. Default true. */
  readonly reloadOnTemplates?: boolean
  /**
   * Plugins whose `redactEvent` masks their events before they are sent (pass your config
   * plugin instances). Events of a config plugin not listed are masked with the config
   * plugin's default rule (`/password|secret|token|key/i`).
   */
  readonly redactWith?: readonly Plugin[]
  /** Client: first reconnect delay, doubled after each failure. Default 250 ms. */
  readonly reconnectMinMs?: number
  /** Client: the cap of the reconnect delay. Default 10 000 ms. */
  readonly reconnectMaxMs?: number
  /** Client: "connection lost" is shown only after the socket stayed closed this long. Default 1 500 ms. */
  readonly lostNoticeMs?: number
}

/** A Node request handler that also works as express / connect middleware. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void

/** What `scriptTag()` and `inject()` may put on the client's `<script>` tag. */
export interface ScriptTagOptions {
  /**
   * Templates the page was rendered from: a committed change to one of them reloads the page.
   * Without it, any template change does (when `reloadOnTemplates` is on).
   */
  readonly templates?: readonly string[]
}

/** The plugin, which is also the app's handle on the socket and the endpoints. */
export interface BrowserPlugin extends Plugin {
  /**
   * Serves `<prefix>/*` and passes every other request to `next` (404 without `next`).
   * Works as a `node:http` handler and as express / connect middleware. Answers 503 until
   * the plugin is applied to an instance.
   */
  readonly handler: RequestHandler
  /**
   * Takes the WebSocket upgrade of `<prefix>/socket` on an existing server; other upgrades are
   * left to their own listeners. Returns the detach function. Call it once per server.
   */
  attach(server: Server): () => void
  /** The standalone server's address (the `listen` option), once it is listening. */
  address(): AddressInfo | undefined
  /** The client's `<script type="module">` tag, with the page's version and templates. */
  scriptTag(options?: ScriptTagOptions): string
  /** `html` with the client's tag inserted before `</head>` (or `</body>`, or at the end). */
  inject(html: string, options?: ScriptTagOptions): string
  /** Browsers connected now. */
  clients(): number
  /**
   * Closes every socket and the standalone server and detaches from attached servers. Runs
   * when the hotreload instance closes; safe to call twice.
   */
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// The wire protocol (`hotreload-v1`): what the browser receives. Everything here is redacted
// and holds root-relative paths only.

/** A problem as the browser sees it: where, what, and how to fix it. */
export interface ProblemView {
  readonly plugin: string
  readonly code: string
  /** Root-relative file. */
  readonly file?: string
  readonly line?: number
  readonly column?: number
  readonly keyPath?: string
  readonly message: string
  readonly hint?: string
}

/** An error (rollback, plugin failure) as the browser sees it. */
export interface ErrorView {
  readonly code: string
  readonly message: string
  readonly plugin?: string
  readonly file?: string
  readonly hint?: string
}

/** A committed plugin event, reduced to what a page acts on. */
export type EventView =
  | { readonly type: 'config:changed'; readonly plugin: string; readonly name: string; readonly value: unknown; readonly oldValue: unknown; readonly diff: unknown }
  | { readonly type: 'asset:updated'; readonly plugin: string; readonly kind: string; readonly logicalPath: string; readonly url?: string; readonly oldUrl?: string; readonly from?: string }
  | { readonly type: 'template:updated'; readonly plugin: string; readonly names: readonly string[]; readonly removed: readonly string[] }
  | { readonly type: string }

/** One transaction's outcome, without its events. */
export interface ResultView {
  readonly id: number
  readonly status: string
  readonly reason: string
  readonly version: number
  readonly durationMs: number
  readonly changes: readonly ChangeSummary[]
  readonly problems: readonly ProblemView[]
  readonly error?: ErrorView
  readonly abort?: ErrorView
}

interface MessageBase {
  readonly runId: string
  /** The committed version after this message. */
  readonly version: number
  readonly time: string
}

/** Sent on connect and on every `resync` request from the client. */
export interface HelloMessage extends MessageBase {
  readonly type: 'hello'
  readonly protocol: 'hotreload-v1'
  /** The last transaction that ran, if any (a broken file at page load shows at once). */
  readonly last: ResultView | null
  /** Current asset URLs by logical path. */
  readonly assets: readonly { readonly plugin: string; readonly logicalPath: string; readonly url: string }[]
  /** Current config values, redacted. */
  readonly configs: readonly { readonly plugin: string; readonly name: string; readonly value: unknown }[]
  /** A digest of every template file's content: a changed digest means the page may be stale. */
  readonly templates: string
  readonly settings: ClientSettings
}

/** Client behaviour chosen on the server. */
export interface ClientSettings {
  readonly heartbeatMs: number
  readonly reloadOnTemplates: boolean
  readonly reconnectMinMs: number
  readonly reconnectMaxMs: number
  readonly lostNoticeMs: number
}

export interface AppliedMessage extends MessageBase, Omit<ResultView, 'version'> {
  readonly type: 'applied'
  readonly events: readonly EventView[]
}
export interface RejectedMessage extends MessageBase, Omit<ResultView, 'version'> {
  readonly type: 'rejected'
}
export interface RolledBackMessage extends MessageBase, Omit<ResultView, 'version'> {
  readonly type: 'rolled-back'
}
export interface AbortedMessage extends MessageBase, Omit<ResultView, 'version'> {
  readonly type: 'aborted'
}
/** The files are back to the applied state (a broken edit was reverted): nothing is broken now. */
export interface UnchangedMessage extends MessageBase, Omit<ResultView, 'version'> {
  readonly type: 'unchanged'
}
/**
 * The files a rejected (or aborted, or rolled-back) batch left pending are back to the applied
 * bytes: no transaction ran, and nothing is rejected any more (the kernel's `resolved` event).
 */
export interface ResolvedMessage extends MessageBase {
  readonly type: 'resolved'
  readonly paths: readonly string[]
}
export interface ErrorMessage extends MessageBase {
  readonly type: 'error'
  readonly error: ErrorView
}
export interface HeartbeatMessage extends MessageBase {
  readonly type: 'heartbeat'
}

export type ServerMessage = HelloMessage | AppliedMessage | RejectedMessage | RolledBackMessage | AbortedMessage | UnchangedMessage | ResolvedMessage | ErrorMessage | HeartbeatMessage

/** What `GET <prefix>/status` answers. */
export interface StatusView {
  readonly runId: string
  readonly version: number
  readonly watching: boolean
  readonly busy: boolean
  readonly pending: readonly string[]
  readonly last: ResultView | null
  readonly counters: Readonly<Record<string, number>>
  readonly plugins: readonly string[]
  readonly clients: number
}
