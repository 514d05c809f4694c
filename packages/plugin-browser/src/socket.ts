// The WebSocket side: refuses a bad upgrade with 403 before the handshake, greets each page
// with `hello`, broadcasts one message per transaction, and drops pages that stop answering.
import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer } from 'ws'
import { PROTOCOL } from './options.js'
import type { Guard } from './security.js'
import type { HelloMessage, ServerMessage } from './types.js'

interface Peer {
  alive: boolean
}

export interface SocketHub {
  /** Handles an upgrade for `path`; returns false when the request is not for this hub. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean
  attach(server: Server): () => void
  broadcast(message: ServerMessage): void
  clients(): number
  close(): Promise<void>
}

export function createSocketHub(options: {
  path: string
  guard: Guard
  heartbeatMs: number
  hello: () => HelloMessage
  heartbeat: () => ServerMessage
  log: (message: string) => void
}): SocketHub {
  const { guard } = options
  // A page sends only tiny control messages; anything larger is not a page of ours.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false) })
  const peers = new Map<WebSocket, Peer>()
  const detachers = new Set<() => void>()
  let closing: Promise<void> | undefined

  const send = (ws: WebSocket, data: string) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(data)
  }

  wss.on('connection', (ws) => {
    const peer: Peer = { alive: true }
    peers.set(ws, peer)
    ws.on('pong', () => (peer.alive = true))
    ws.on('message', (data) => {
      peer.alive = true
      let parsed: unknown
      try {
        parsed = JSON.parse(data.toString())
      } catch {
        options.log(`a page sent a message that is not JSON; ignored`)
        return
      }
      if (typeof parsed === 'object' && parsed !== null && (parsed as { type?: unknown }).type === 'resync') send(ws, JSON.stringify(options.hello()))
    })
    ws.on('close', () => peers.delete(ws))
    ws.on('error', (error) => options.log(`a page's socket failed: ${error.message}`))
    send(ws, JSON.stringify(options.hello()))
  })

  // ws pings at the protocol level (browsers answer by themselves); the message lets the page
  // notice a half-open socket from its side too.
  const timer = setInterval(() => {
    const beat = JSON.stringify(options.heartbeat())
    for (const [ws, peer] of peers) {
      if (!peer.alive) {
        ws.terminate()
        peers.delete(ws)
        continue
      }
      peer.alive = false
      ws.ping()
      send(ws, beat)
    }
  }, options.heartbeatMs)
  timer.unref()

  const refuse = (socket: Duplex, status: 400 | 403, reason: string) => {
    const body = `hotreload: ${reason}\n`
    socket.end(`HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Bad Request'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }

  const hub: SocketHub = {
    upgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (url.pathname !== options.path) return false
      if (closing) {
        refuse(socket, 403, 'the server is closing')
        return true
      }
      const refusal = guard.checkHost(req) ?? guard.checkOrigin(req, true) ?? (guard.checkToken(url.searchParams.get('token')) ? undefined : 'the token is missing or stale; fetch a fresh one from the token endpoint')
      if (refusal) {
        options.log(`refused a socket: ${refusal}`)
        refuse(socket, 403, refusal)
        return true
      }
      const asked = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim())
      if (!asked.includes(PROTOCOL)) {
        refuse(socket, 400, `the socket speaks the subprotocol "${PROTOCOL}" only`)
        return true
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
      return true
    },
    attach(server) {
      const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        hub.upgrade(req, socket, head)
      }
      server.on('upgrade', onUpgrade)
      const detach = () => {
        server.off('upgrade', onUpgrade)
        detachers.delete(detach)
      }
      detachers.add(detach)
      return detach
    },
    broadcast(message) {
      const data = JSON.stringify(message)
      for (const ws of peers.keys()) send(ws, data)
    },
    clients: () => peers.size,
    close() {
      closing ??= (async () => {
        clearInterval(timer)
        for (const detach of [...detachers]) detach()
        for (const ws of peers.keys()) ws.close(1001, 'server closing')
        // A page that does not finish the closing handshake must not hold the close up.
        const deadline = setTimeout(() => {
          for (const ws of peers.keys()) ws.terminate()
        }, 1_000)
        await new Promise<void>((resolve) => wss.close(() => resolve()))
        for (const ws of peers.keys()) ws.terminate()
        clearTimeout(deadline)
        peers.clear()
      })()
      return closing
    },
  }
  return hub
}
