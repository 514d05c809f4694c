/**
 * The fleet plugin's rounds against a real redis-server (started here on a unix socket in a temp
 * dir, stopped at the end): with 3 and 10 members, the time from a proposal opening to every
 * member having applied it, and what a NACK round costs. The floor is Redis's own round trip
 * (PING) measured in the same run. Members are full hotreload instances (config plugin with a
 * TypeBox schema, fleet plugin as member) in this process, each with its own Redis connections.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as delay } from 'node:timers/promises'
import { Type } from '@sinclair/typebox'
import { createHotReload, writeFileAtomic, type HotReload, type HotReloadEvent } from '@hotreload/core'
import configPlugin from '@hotreload/plugin-config'
import { fleet } from '@hotreload/plugin-fleet'
import { Redis } from 'ioredis'
import { summarize, type BenchRow } from './lib/stats.js'

export interface FleetBenchOptions {
  readonly sizes?: readonly number[]
  readonly rounds?: number
  readonly log?: (line: string) => void
}

const schema = (max: number) => ({ schemas: { app: Type.Object({ limit: Type.Integer({ maximum: max }) }) } })

async function waitFor<T>(check: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await delay(1)
  }
}

/** Runs the fleet rounds; resolves with table rows (an explanation row when redis-server is missing). */
export async function benchFleetRounds(options: FleetBenchOptions = {}): Promise<BenchRow[]> {
  const log = options.log ?? (() => {})
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    return [summarize('fleet rounds', '(not run)', '', [], { note: 'redis-server not found' })]
  }
  const rounds = options.rounds ?? 20
  const dir = await mkdtemp(join(tmpdir(), 'hotreload-bench-fleet-'))
  const socket = join(dir, 'redis.sock')
  const server = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'yes', '--dir', dir], { stdio: 'ignore' })
  const instances: HotReload[] = []
  const rows: BenchRow[] = []
  try {
    await waitFor(() => (existsSync(socket) ? true : undefined), 'redis-server')
    const redis = { path: socket }

    const ping = new Redis(redis)
    ping.on('error', (error: Error) => log(`  fleet: ping connection: ${error.message}`))
    const pings: number[] = []
    for (let i = 0; i < rounds * 10; i++) {
      const t = performance.now()
      await ping.ping()
      pings.push(performance.now() - t)
    }
    ping.disconnect()

    for (const size of options.sizes ?? [3, 10]) {
      const fleetName = `bench${size}`
      const committedAt = new Map<string, number>()
      const roots: string[] = []
      for (let i = 0; i < size; i++) {
        const root = await mkdtemp(join(tmpdir(), 'hotreload-bench-member-'))
        roots.push(root)
        const id = `m${i}`
        const member = await createHotReload({
          root,
          plugins: [configPlugin(schema(1_000_000)), fleet({ role: 'member', redis, fleet: fleetName, id, heartbeatMs: 500, leaseMs: 5000 })],
          onEvent: (e: HotReloadEvent) => {
            if (e.type === 'fleet:committed') committedAt.set(`${id}:${e.fleetVersion}`, performance.now())
          },
        })
        instances.push(member)
      }
      const proposerRoot = await mkdtemp(join(tmpdir(), 'hotreload-bench-proposer-'))
      roots.push(proposerRoot)
      await mkdir(join(proposerRoot, 'config'))
      await writeFileAtomic(join(proposerRoot, 'config/app.json'), '{ "limit": 0 }\n')
      let proposedAt = 0
      let proposedVersion = 0
      const ends: HotReloadEvent[] = []
      const proposer = await createHotReload({
        root: proposerRoot,
        include: ['config/**'],
        debounceMs: 0,
        plugins: [configPlugin(schema(1_000_000)), fleet({ role: 'proposer', redis, fleet: fleetName, id: 'proposer', voteTimeoutMs: 10_000, heartbeatMs: 100 })],
        onEvent: (e: HotReloadEvent) => {
          if (e.type === 'fleet:proposed') {
            proposedAt = performance.now()
            proposedVersion = e.fleetVersion
          }
          if (e.type === 'applied' || e.type === 'aborted') ends.push(e)
        },
      })
      instances.push(proposer)
      // Wait until every member joined (the proposer's first publication may predate some).
      await delay(600)

      const allApplied: number[] = []
      const decided: number[] = []
      for (let r = 1; r <= rounds + 2; r++) {
        const since = ends.length
        await writeFileAtomic(join(proposerRoot, 'config/app.json'), `{ "limit": ${r} }\n`)
        const end = await waitFor(() => ends[since], `round ${r}`)
        if (end.type !== 'applied') throw new Error(`round ${r} ended ${end.type}`)
        const decidedAt = performance.now()
        const version = proposedVersion
        const last = await waitFor(() => {
          const times = instances.slice(0, size).map((_, i) => committedAt.get(`m${i}:${version}`))
          return times.every((x) => x !== undefined) ? Math.max(...(times as number[])) : undefined
        }, `every member at version ${version}`)
        if (r > 2) {
          allApplied.push(last - proposedAt)
          decided.push(decidedAt - proposedAt)
        }
      }
      rows.push(summarize(`fleet: proposal → all ${size} members applied`, 'Redis PING (unix socket, same run)', 'ms', pings, { baseline: true }))
      rows.push(summarize(`fleet: proposal → all ${size} members applied`, 'proposer sees the commit', 'ms', decided, { note: 'ACK round: open → decision at the proposer' }))
      rows.push(summarize(`fleet: proposal → all ${size} members applied`, 'every member applied', 'ms', allApplied, { note: `members in one process, ${rounds} rounds` }))

      // A NACK round: one more member with a stricter schema rejects every proposal.
      const strictRoot = await mkdtemp(join(tmpdir(), 'hotreload-bench-strict-'))
      roots.push(strictRoot)
      const strict = await createHotReload({
        root: strictRoot,
        plugins: [configPlugin(schema(5)), fleet({ role: 'member', redis, fleet: fleetName, id: 'strict', heartbeatMs: 500, leaseMs: 5000 })],
      })
      instances.push(strict)
      await delay(600)
      const nacks: number[] = []
      for (let r = 1; r <= Math.max(3, Math.floor(rounds / 2)) + 1; r++) {
        const since = ends.length
        await writeFileAtomic(join(proposerRoot, 'config/app.json'), `{ "limit": ${1000 + r} }\n`)
        const end = await waitFor(() => ends[since], `NACK round ${r}`)
        if (end.type !== 'aborted') throw new Error(`NACK round ${r} ended ${end.type}`)
        if (r > 1) nacks.push(performance.now() - proposedAt)
      }
      rows.push(summarize(`fleet: NACK round, ${size + 1} members`, 'Redis PING (unix socket, same run)', 'ms', pings, { baseline: true }))
      rows.push(summarize(`fleet: NACK round, ${size + 1} members`, 'open → aborted at the proposer', 'ms', nacks, { note: 'one member with a stricter schema' }))
      for (const instance of instances.splice(0)) await instance.close()
      for (const root of roots) await rm(root, { recursive: true, force: true })
      log(`  fleet: ${size} members done`)
    }
  } finally {
    for (const instance of instances) await instance.close()
    server.kill('SIGTERM')
    await new Promise((resolve) => (server.exitCode === null ? server.once('exit', resolve) : resolve(undefined)))
    await rm(dir, { recursive: true, force: true })
  }
  return rows
}
