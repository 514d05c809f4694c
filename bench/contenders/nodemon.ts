import { spawn } from 'node:child_process'
import { get } from 'node:http'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Contender, Watching } from '../lib/contender.js'
import { freePort, sleep } from '../lib/project.js'

const require = createRequire(import.meta.url)
const NODEMON = join(require.resolve('nodemon/package.json'), '..', 'bin', 'nodemon.js')
const SERVER = join(import.meta.dirname, '..', 'fixtures', 'server.mjs')
/** Between two polls of the restarting server: short, so the poll adds little to the latency. */
const POLL_MS = 2
const REQUEST_TIMEOUT_MS = 1000
const KILL_AFTER_MS = 3000
/** How long snapshot() waits for a server that is down (a restart storm may never bring it back). */
const SNAPSHOT_WAIT_MS = 5000

/** One GET; null while the server is down (restarting) or answers something unusable. */
function fetchValues(port: number): Promise<Map<string, number> | null> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/', timeout: REQUEST_TIMEOUT_MS, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        const parsed = JSON.parse(body) as { values: Record<string, number> }
        resolve(new Map(Object.entries(parsed.values)))
      })
      res.on('error', () => resolve(null))
    })
    // Refused or reset connections are the normal state of a server being restarted.
    req.on('error', () => resolve(null))
    req.on('timeout', () => req.destroy())
  })
}

function holds(values: Map<string, number> | null, expected: ReadonlyMap<string, number>): boolean {
  if (values === null) return false
  for (const [name, value] of expected) if (values.get(name) !== value) return false
  return true
}

/**
 * nodemon (its defaults, no delay) restarting a small HTTP server that reads the configs at
 * start. The subscriber here is an HTTP client: the new value is held once a GET serves it.
 */
export const nodemonContender: Contender = {
  name: 'nodemon restart',
  async start(root): Promise<Watching> {
    const port = await freePort()
    const child = spawn(process.execPath, [NODEMON, '--no-stdin', '--watch', join(root, 'config'), '--ext', 'json', SERVER], {
      cwd: root,
      env: { ...process.env, CONFIG_DIR: join(root, 'config'), PORT: String(port), NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so close() ends nodemon and the server it runs together.
      detached: true,
    })
    let starts = 0
    let output = ''
    const onOutput = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000)
      starts += chunk.toString('utf8').split('[nodemon] starting').length - 1
    }
    child.stdout.on('data', onOutput)
    child.stderr.on('data', onOutput)
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

    const waitFor = async (expected: ReadonlyMap<string, number>, timeoutMs: number): Promise<number | null> => {
      const deadline = performance.now() + timeoutMs
      while (performance.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`nodemon exited (${child.exitCode}):\n${output}`)
        const values = await fetchValues(port)
        const at = performance.now()
        if (holds(values, expected)) return at
        await sleep(POLL_MS)
      }
      return null
    }
    // Ready means the server answers at all; the values it holds are whatever is on disk.
    const ready = await (async () => {
      const deadline = performance.now() + 30_000
      while (performance.now() < deadline) {
        if ((await fetchValues(port)) !== null) return true
        await sleep(20)
      }
      return false
    })()
    if (!ready) {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM')
      throw new Error(`nodemon's server did not answer within 30 s:\n${output}`)
    }
    return {
      waitFor,
      reloads: () => Math.max(0, starts - 1),
      async snapshot() {
        const deadline = performance.now() + SNAPSHOT_WAIT_MS
        while (performance.now() < deadline) {
          const values = await fetchValues(port)
          if (values !== null) return values
          await sleep(20)
        }
        return new Map()
      },
      async close() {
        if (child.pid === undefined || child.exitCode !== null) return
        const group = -child.pid
        process.kill(group, 'SIGTERM')
        // In a restart storm nodemon does not act on SIGTERM; the group is ours, so end it for sure.
        const timer = setTimeout(() => process.kill(group, 'SIGKILL'), KILL_AFTER_MS)
        await exited
        clearTimeout(timer)
      },
    }
  },
}
