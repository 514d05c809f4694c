// The browser side of the `hotreload-v1` socket, with no UI: for apps that render their own.
// Fetches a fresh token (same-origin) before every connect, so a restarted server never locks a
// page out, and that fetch doubles as the "server is back" check. Backs off exponentially with
// a cap and resets the backoff only after a `hello`, not after a bare open (a retry counter
// reset on open never grows: webpack-dev-server#1616). Pauses while the tab is hidden and
// re-syncs when it is shown again.

/** @typedef {'connecting' | 'open' | 'reconnecting' | 'lost' | 'paused' | 'closed'} ConnectionState */
/**
 * @typedef {object} HelloInfo
 * @property {boolean} first this is the first `hello` the page got
 * @property {boolean} stale the page missed something: the run id or the version moved
 * @property {boolean} restarted the server restarted (a new run id)
 */
/**
 * @typedef {object} ConnectOptions
 * @property {string} [prefix] the server's path prefix, default `/__hotreload`
 * @property {string} [origin] where the server runs, default the page's origin
 * @property {{ runId: string, version: number }} [page] the state the page was rendered from
 * @property {(message: any, info?: HelloInfo) => void} [onEvent] every server message, in order
 * @property {(state: ConnectionState) => void} [onState] every change of the connection state
 */
/**
 * @typedef {object} Connection
 * @property {() => ConnectionState} state the connection state now
 * @property {() => void} resync asks the server for a fresh `hello`
 * @property {() => void} close stops reconnecting and closes the socket; safe to call twice
 */
/**
 * @typedef {object} ConfigEventDetail the `detail` of a `hotreload:config` DOM event
 * @property {string} plugin
 * @property {string} name
 * @property {unknown} value the new (redacted) value, undefined when the config was removed
 * @property {unknown} oldValue
 * @property {unknown} diff the change, key by key; null when re-sent after a reconnect
 * @property {boolean} resync true when re-sent because the page missed changes
 */

export const PROTOCOL = 'hotreload-v1'

const DEFAULTS = { heartbeatMs: 10_000, reconnectMinMs: 250, reconnectMaxMs: 10_000, lostNoticeMs: 1_500 }

/**
 * Connects to the hotreload server and keeps the connection up. Calls `onEvent` with every
 * message (`hello`, `applied`, `rejected`, `rolled-back`, `aborted`, `unchanged`, `error`) and
 * dispatches a `hotreload:config` CustomEvent on `window` for every committed config change
 * (and, after a reconnect that missed changes, for every config whose value moved).
 * @param {ConnectOptions} [options]
 * @returns {Connection}
 */
export function connect(options = {}) {
  const prefix = options.prefix ?? '/__hotreload'
  const origin = new URL(options.origin ?? location.origin)
  const socketUrl = `${origin.protocol === 'https:' ? 'wss:' : 'ws:'}//${origin.host}${prefix}/socket`
  const settings = { ...DEFAULTS }
  /** @type {{ runId: string, version: number } | null} */
  let known = options.page ?? null
  let hellos = 0
  /** @type {Map<string, string>} config key -> JSON of the value the page last heard of */
  const configs = new Map()
  /** @type {WebSocket | undefined} */
  let socket
  /** @type {ConnectionState} */
  let state = 'connecting'
  let attempt = 0
  let closed = false
  // One connect at a time: a tab shown while the token fetch is out must not open a second socket.
  let opening = false
  let lastMessageAt = 0
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retryTimer
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let lostTimer

  /** @param {ConnectionState} next */
  const setState = (next) => {
    if (state === next) return
    state = next
    document.documentElement.dataset['hotreloadState'] = next
    options.onState?.(next)
  }
  document.documentElement.dataset['hotreloadState'] = state

  /** @param {ConfigEventDetail} detail */
  const dispatchConfig = (detail) => window.dispatchEvent(new CustomEvent('hotreload:config', { detail }))

  async function open() {
    retryTimer = undefined
    if (closed || opening || socket) return
    if (document.visibilityState === 'hidden') return setState('paused')
    if (state !== 'lost') setState(hellos === 0 ? 'connecting' : 'reconnecting')
    let token
    opening = true
    try {
      const response = await fetch(`${origin.origin}${prefix}/token`, { cache: 'no-store', credentials: 'same-origin' })
      if (!response.ok) throw new Error(`the token endpoint answered ${response.status}`)
      token = /** @type {{ token: string }} */ (await response.json()).token
    } catch {
      // The server is not back yet (or refuses this page): try again later, further apart.
      return retry()
    } finally {
      opening = false
    }
    if (closed || socket) return
    const ws = new WebSocket(`${socketUrl}?token=${encodeURIComponent(token)}`, PROTOCOL)
    socket = ws
    ws.onmessage = (event) => {
      lastMessageAt = Date.now()
      /** @type {any} */
      let message
      try {
        message = JSON.parse(String(event.data))
      } catch {
        return
      }
      handle(message)
    }
    ws.onclose = () => {
      if (socket !== ws) return
      socket = undefined
      disconnected()
    }
  }

  function retry() {
    if (closed) return
    if (document.visibilityState === 'hidden') return setState('paused')
    noticeLater()
    const delay = Math.min(settings.reconnectMaxMs, settings.reconnectMinMs * 2 ** attempt) * (0.8 + Math.random() * 0.4)
    attempt++
    retryTimer = setTimeout(open, delay)
  }

  function disconnected() {
    if (closed) return
    if (state !== 'lost') setState('reconnecting')
    retry()
  }

  // Quick reconnects stay silent: `lost` only after lostNoticeMs without a connection.
  function noticeLater() {
    lostTimer ??= setTimeout(() => {
      lostTimer = undefined
      if (!closed && state !== 'open' && state !== 'paused') setState('lost')
    }, settings.lostNoticeMs)
  }

  /** @param {any} message */
  function handle(message) {
    if (message.type === 'hello') {
      const previous = known
      known = { runId: message.runId, version: message.version }
      const info = {
        first: hellos === 0,
        stale: previous !== null && (previous.runId !== message.runId || previous.version !== message.version),
        restarted: previous !== null && previous.runId !== message.runId,
      }
      hellos++
      attempt = 0
      Object.assign(settings, message.settings)
      clearTimeout(lostTimer)
      lostTimer = undefined
      const seen = new Set()
      for (const config of message.configs) {
        const key = `${config.plugin}\0${config.name}`
        seen.add(key)
        const json = JSON.stringify(config.value)
        const before = configs.get(key)
        configs.set(key, json)
        if (info.stale && before !== json) dispatchConfig({ plugin: config.plugin, name: config.name, value: config.value, oldValue: before === undefined ? undefined : JSON.parse(before), diff: null, resync: true })
      }
      for (const [key, before] of configs) {
        if (seen.has(key)) continue
        configs.delete(key)
        const [plugin = '', name = ''] = key.split('\0')
        if (info.stale) dispatchConfig({ plugin, name, value: undefined, oldValue: JSON.parse(before), diff: null, resync: true })
      }
      setState('open')
      options.onEvent?.(message, info)
      return
    }
    if (message.type === 'heartbeat') {
      // A message lost in between (or a commit while this tab slept): ask for the whole state.
      if (known && (known.runId !== message.runId || known.version !== message.version)) send({ type: 'resync' })
      return
    }
    if (message.type === 'applied') {
      known = { runId: message.runId, version: message.version }
      for (const event of message.events) {
        if (event.type !== 'config:changed') continue
        const key = `${event.plugin}\0${event.name}`
        if (event.value === undefined) configs.delete(key)
        else configs.set(key, JSON.stringify(event.value))
        dispatchConfig({ plugin: event.plugin, name: event.name, value: event.value, oldValue: event.oldValue, diff: event.diff, resync: false })
      }
    }
    options.onEvent?.(message)
  }

  /** @param {object} message */
  function send(message) {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message))
  }

  // A socket that stopped delivering heartbeats is half-open: give it up and reconnect.
  const watchdog = setInterval(() => {
    if (!socket || socket.readyState !== WebSocket.OPEN || Date.now() - lastMessageAt < settings.heartbeatMs * 2.5) return
    const stale = socket
    socket = undefined
    stale.close()
    disconnected()
  }, 1_000)

  const onVisibility = () => {
    if (closed || document.visibilityState !== 'visible') return
    if (socket) return send({ type: 'resync' })
    // Shown again: connect now, whatever the backoff had reached.
    clearTimeout(retryTimer)
    attempt = 0
    void open()
  }
  document.addEventListener('visibilitychange', onVisibility)

  void open()

  return {
    state: () => state,
    resync: () => send({ type: 'resync' }),
    close() {
      if (closed) return
      closed = true
      clearTimeout(retryTimer)
      clearTimeout(lostTimer)
      clearInterval(watchdog)
      document.removeEventListener('visibilitychange', onVisibility)
      const ws = socket
      socket = undefined
      ws?.close()
      setState('closed')
    },
  }
}
