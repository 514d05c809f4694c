// A real redis-server per test, in its own temp dir on a unix socket, stopped by pid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { waitFor } from '../../../test/helpers/index.js'

/** True when `redis-server` is on the PATH. */
export const hasRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0

export interface RedisServer {
  readonly dir: string
  readonly socket: string
  readonly pid: number
  /** Stops the server (SIGTERM, waits for exit) and starts it again on the same dir and socket. */
  restart(): Promise<void>
  /** Stops the server; with `keep`, leaves the dir for a later `start()`. */
  stop(): Promise<void>
  start(): Promise<void>
  /** A plain client for assertions and tampering; closed with the server. */
  client(): Redis
}

/**
 * Starts `redis-server --port 0 --unixsocket <dir>/redis.sock --save '' --appendonly yes` in a
 * temp dir, registers its stop and the dir's removal with `t.after`. `appendonly` is what keeps
 * the committed version across a restart.
 */
export async function startRedis(t: { after(fn: () => Promise<void>): void }, extra: string[] = []): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hotreload-redis-'))
  const socket = join(dir, 'redis.sock')
  let child: ChildProcess | undefined
  const clients: Redis[] = []
  const start = async () => {
    const proc = spawn(
      'redis-server',
      ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'yes', '--dir', dir, ...extra],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    child = proc
    const probe = new Redis({ path: socket, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
    // Refused connections are expected until the server listens; waitFor retries them.
    probe.on('error', () => {})
    try {
      await waitFor(
        async () => {
          if (probe.status !== 'ready') await probe.connect()
          return (await probe.ping()) === 'PONG'
        },
        { timeoutMs: 15_000, intervalMs: 20, message: 'redis-server to answer PING' },
      )
    } finally {
      probe.disconnect()
    }
  }
  const stop = async () => {
    const proc = child
    child = undefined
    if (!proc || proc.exitCode !== null) return
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    process.kill(proc.pid as number, 'SIGTERM')
    await exited
  }
  await start()
  t.after(async () => {
    for (const c of clients) c.disconnect()
    await stop()
    await rm(dir, { recursive: true, force: true })
  })
  return {
    dir,
    socket,
    get pid() {
      return child?.pid ?? -1
    },
    restart: async () => {
      await stop()
      await start()
    },
    stop,
    start,
    client() {
      const c = new Redis({ path: socket })
      // A test that restarts the server sees this client's reconnects; its commands still reject.
      c.on('error', () => {})
      clients.push(c)
      return c
    },
  }
}
