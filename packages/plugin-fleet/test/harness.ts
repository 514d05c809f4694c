// A fleet for the multi-process tests: a real redis-server, member processes running the real
// `hotreload` CLI (built, --json) with the fleet plugin, and proposers as real instances.
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { createHotReload, writeFileAtomic, type HotReload, type HotReloadEvent } from '@hotreload/core'
import configPlugin from '@hotreload/plugin-config'
import { Type } from '@sinclair/typebox'
import { fleet, type FleetPlugin, type FleetOptions } from '../src/index.js'
import { FleetStore } from '../src/store.js'
import type { MemberEntry } from '../src/types.js'
import { makeTempProject, recordEvents, waitFor, type TempProject } from '../../../test/helpers/index.js'
import { cliPath, linkNodeModules, startCli, type RunningCli } from '../../../test/helpers/cli.js'
import { hasRedis, startRedis, type RedisServer } from './redis-server.js'

export { hasRedis }

/** The built CLI is what the member processes run. */
export const hasBuild = existsSync(cliPath) && existsSync(join(import.meta.dirname, '../dist/index.js'))

/** Skips by name when a real component is missing; true when the test must stop. */
export function skipUnlessReady(t: TestContext): boolean {
  if (!hasRedis) {
    t.skip('redis-server not found')
    return true
  }
  if (!hasBuild) {
    t.skip('packages not built (npm run build): the member processes run the built CLI')
    return true
  }
  return false
}

export interface MemberSpec {
  readonly labels?: Record<string, string>
  /** The schema's maximum for `limit` in config/app.json (a stricter member NACKs above it). */
  readonly maxLimit?: number
  /** Validation of a file whose text contains "hold" waits until the test releases it. */
  readonly hold?: boolean
  /** Apply of a file whose text contains "boom" throws (after the fleet committed). */
  readonly failApply?: boolean
  readonly leaseMs?: number
  readonly heartbeatMs?: number
  readonly maxEvents?: number
}

export interface MemberProcess {
  readonly id: string
  readonly dir: string
  cli: RunningCli
  /** `--json` events of the current process. */
  events(): Array<Record<string, unknown> & { type: string }>
  waitEvent(predicate: (e: Record<string, unknown> & { type: string }) => boolean, message: string, timeoutMs?: number): Promise<Record<string, unknown> & { type: string }>
  /** Resolves once validation holds (the member received the proposal and has not voted). */
  holding(): Promise<void>
  release(): Promise<void>
  signal(signal: NodeJS.Signals): void
  /** Starts the member again (after a kill), same id and directory. */
  restart(): Promise<void>
  stop(): Promise<void>
}

const APP_MAX = 1000

function memberConfig(id: string, socket: string, spec: MemberSpec): string {
  const settings = {
    id,
    socket,
    labels: spec.labels ?? {},
    maxLimit: spec.maxLimit ?? APP_MAX,
    hold: spec.hold ?? false,
    failApply: spec.failApply ?? false,
    leaseMs: spec.leaseMs ?? 10_000,
    heartbeatMs: spec.heartbeatMs ?? 500,
    maxEvents: spec.maxEvents ?? 10_000,
  }
  return `import { existsSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, defineReloadHandler } from '@hotreload/core'
import configPlugin from '@hotreload/plugin-config'
import fleet from '@hotreload/plugin-fleet'
import { Type } from '@sinclair/typebox'

const s = ${JSON.stringify(settings)}
const here = dirname(fileURLToPath(import.meta.url))

// The test's handle on this member: hold a validation, fail an apply.
const probe = defineReloadHandler({
  name: 'probe',
  files: 'config/**/*.json',
  async validate(change, ctx) {
    if (change.kind === 'deleted' || !s.hold) return
    if (!(await ctx.readText()).includes('hold')) return
    writeFileSync(join(here, 'holding'), '')
    while (!existsSync(join(here, 'release'))) await new Promise((r) => setTimeout(r, 20))
  },
  async handleChange(change, ctx) {
    if (change.kind !== 'deleted' && s.failApply && (await ctx.readText()).includes('boom')) throw new Error('apply refused by this member')
  },
})

export default defineConfig({
  root: '.',
  plugins: [
    configPlugin({ schemas: { app: Type.Object({ limit: Type.Integer({ maximum: s.maxLimit }), note: Type.Optional(Type.String()) }) } }),
    probe,
    fleet({ role: 'member', redis: { path: s.socket }, fleet: 'test', id: s.id, labels: s.labels, leaseMs: s.leaseMs, heartbeatMs: s.heartbeatMs, maxEvents: s.maxEvents }),
  ],
})
`
}

function publisherConfig(socket: string): string {
  return `import { defineConfig } from '@hotreload/core'
import configPlugin from '@hotreload/plugin-config'
import fleet from '@hotreload/plugin-fleet'
import { Type } from '@sinclair/typebox'

export default defineConfig({
  root: '.',
  include: ['config/**'],
  plugins: [
    configPlugin({ schemas: { app: Type.Object({ limit: Type.Integer({ maximum: ${APP_MAX} }), note: Type.Optional(Type.String()) }) } }),
    fleet({ role: 'proposer', redis: { path: ${JSON.stringify(socket)} }, fleet: 'test', id: 'publisher', voteTimeoutMs: 30000 }),
  ],
})
`
}

export interface Fleet {
  readonly redis: RedisServer
  /** The test's own view of Redis, for assertions. */
  readonly store: FleetStore
  member(id: string, spec?: MemberSpec): Promise<MemberProcess>
  /** A proposer instance in this process: real files, the real watcher, the fleet plugin. */
  proposer(files: Record<string, string>, options?: Partial<FleetOptions>): Promise<Proposer>
  /** A project whose config is a proposer: `start()` runs `hotreload fleet publish` in it. */
  publisherProject(files: Record<string, string>): Promise<{ readonly dir: string; start(): RunningCli }>
  /** The members as Redis lists them now. */
  members(): Promise<readonly MemberEntry[]>
  /** Waits until every listed member reports `version`. */
  allAt(ids: readonly string[], version: number, timeoutMs?: number): Promise<void>
}

export interface Proposer {
  readonly project: TempProject
  readonly reloader: HotReload
  readonly plugin: FleetPlugin
  readonly events: ReturnType<typeof recordEvents<HotReloadEvent>>
  /** Saves files (temp + rename) and resolves with the transaction's end event. */
  save(files: Record<string, string>): Promise<HotReloadEvent>
}

/** A redis-server and the means to start members and proposers; all stopped in `t.after`. */
export async function startFleet(t: TestContext): Promise<Fleet> {
  const redis = await startRedis(t)
  // The test's own client sees the outages the tests cause on purpose; its commands still reject.
  const store = new FleetStore({ redis: { path: redis.socket }, fleet: 'test', maxEvents: 10_000, onError: () => {} })
  const stops: (() => Promise<void>)[] = []
  t.after(async () => {
    for (const stop of stops.reverse()) await stop()
    await store.close()
  })

  async function member(id: string, spec: MemberSpec = {}): Promise<MemberProcess> {
    const project = await makeTempProject({}, `hotreload-fleet-${id}-`)
    await linkNodeModules(project.root)
    // Plain JS: the config loader need not transpile it, which makes each member start sooner.
    await writeFile(project.path('hotreload.config.mjs'), memberConfig(id, redis.socket, spec))
    await mkdir(project.path('config'), { recursive: true })
    const launch = () => startCli(['--json'], project.root)
    const m: MemberProcess = {
      id,
      dir: project.root,
      cli: launch(),
      events: () => m.cli.json(),
      waitEvent: (predicate, message, timeoutMs = 60_000) => m.cli.waitForJson(predicate, `${id}: ${message}`, timeoutMs),
      holding: async () => {
        await waitFor(() => existsSync(project.path('holding')), { timeoutMs: 60_000, message: `${id} to hold its validation` })
      },
      release: () => writeFile(project.path('release'), ''),
      signal: (signal) => void m.cli.child.kill(signal),
      restart: async () => {
        m.cli = launch()
        await m.waitEvent((e) => e.type === 'ready', 'ready after restart', 90_000)
      },
      stop: async () => {
        if (m.cli.child.exitCode === null && m.cli.child.signalCode === null) {
          m.cli.child.kill('SIGCONT')
          m.cli.child.kill('SIGTERM')
          const timer = setTimeout(() => m.cli.child.kill('SIGKILL'), 5000)
          await m.cli.exit()
          clearTimeout(timer)
        }
      },
    }
    stops.push(async () => {
      await m.stop()
      await project.cleanup()
    })
    // A member process starts slowly on a busy machine (node, the config loader, the plugins).
    await m.waitEvent((e) => e.type === 'ready', 'ready', 90_000)
    return m
  }

  async function proposer(files: Record<string, string>, options: Partial<FleetOptions> = {}): Promise<Proposer> {
    const project = await makeTempProject(files, 'hotreload-fleet-proposer-')
    const plugin = fleet({ role: 'proposer', redis: { path: redis.socket }, fleet: 'test', id: `proposer-${stops.length}`, voteTimeoutMs: 20_000, heartbeatMs: 100, ...options })
    const reloader = await createHotReload({
      root: project.root,
      include: ['config/**'],
      debounceMs: 20,
      prepareTimeoutMs: 60_000,
      plugins: [configPlugin({ schemas: { app: Type.Object({ limit: Type.Integer({ maximum: APP_MAX }), note: Type.Optional(Type.String()) }) } }), plugin],
    })
    const events = recordEvents<HotReloadEvent>(reloader)
    stops.push(async () => {
      await reloader.close()
      await project.cleanup()
    })
    return {
      project,
      reloader,
      plugin,
      events,
      async save(changes) {
        const since = events.events.length
        for (const [rel, content] of Object.entries(changes)) await writeFileAtomic(project.path(rel), content)
        const paths = Object.keys(changes)
        const ends = new Set(['applied', 'rejected', 'rolled-back', 'aborted'])
        return waitFor(
          () => events.events.slice(since).find((e) => ends.has(e.type) && paths.every((p) => e.paths.includes(p))),
          { timeoutMs: 90_000, message: `the proposer's transaction for ${paths.join(', ')} (seen: ${events.events.slice(since).map((e) => e.type).join(', ')})` },
        )
      },
    }
  }

  async function publisherProject(files: Record<string, string>) {
    const project = await makeTempProject(files, 'hotreload-fleet-publisher-')
    await linkNodeModules(project.root)
    await writeFile(project.path('hotreload.config.mjs'), publisherConfig(redis.socket))
    const runs: RunningCli[] = []
    stops.push(async () => {
      for (const run of runs) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL')
      await Promise.all(runs.map((r) => r.exit()))
      await project.cleanup()
    })
    return {
      dir: project.root,
      start() {
        const run = startCli(['fleet', 'publish'], project.root)
        runs.push(run)
        return run
      },
    }
  }

  const members = async () => (await store.snapshot()).members

  return {
    redis,
    store,
    member,
    proposer,
    publisherProject,
    members,
    async allAt(ids, version, timeoutMs = 60_000) {
      await waitFor(
        async () => {
          const list = await members()
          return ids.every((id) => list.find((m) => m.id === id)?.info?.version === version)
        },
        { timeoutMs, message: `members ${ids.join(', ')} at version ${version} (now: ${JSON.stringify((await members()).map((m) => [m.id, m.info?.version]))})` },
      )
    },
  }
}

/** config/app.json with `limit` (and a marker the probe handler reacts to). */
export function app(limit: number, note?: string): Record<string, string> {
  return { 'config/app.json': `{\n  "limit": ${limit}${note === undefined ? '' : `,\n  "note": ${JSON.stringify(note)}`}\n}\n` }
}
