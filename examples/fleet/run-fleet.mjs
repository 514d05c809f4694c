// `npm start` in examples/fleet: a Redis and three app instances (hotreload processes with the
// fleet plugin as members), and a proposer that edits config/app.json. Run 1: every member ACKs
// and the fleet commits. Run 2: the canary runs a stricter schema, NACKs, and nobody changes.
// Everything lives in a temp directory and is stopped at the end.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdtemp, mkdir, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createHotReload, loadConfigFile, writeFileAtomic } from '@hotreload/core'

const here = dirname(fileURLToPath(import.meta.url))
const cli = join(here, '../../packages/core/dist/cli.js')
const say = (text) => console.log(`\n▶ ${text}`)
const show = (text) => console.log(`    ${text}`)
const where = (p) => `${p.path ?? ''}${p.line ? `:${p.line}:${p.column ?? 1}` : ''}`

if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('redis-server not found: apt-get install -y --no-install-recommends redis-server')
  process.exit(1)
}

const tmp = await mkdtemp(join(tmpdir(), 'hotreload-fleet-example-'))
const socket = join(tmp, 'redis.sock')
// appendonly: a Redis restart keeps the committed version (see the plugin's README).
const redis = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'yes', '--dir', tmp], { stdio: 'ignore' })
// The members and the proposer's config (loaded in this process) read where Redis is from here.
process.env.FLEET_REDIS = socket
const env = { ...process.env, NO_COLOR: '1' }
const children = []

async function waitFor(check, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** One app instance: the real `hotreload` CLI, its events read as JSON lines. */
async function member(id, labels, extraEnv = {}) {
  const root = join(tmp, id)
  await mkdir(root, { recursive: true })
  const child = spawn(process.execPath, [cli, '--json', '--config', join(here, 'member/hotreload.config.ts'), '--root', root], {
    env: { ...env, FLEET_ID: id, FLEET_LABELS: JSON.stringify(labels), ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const events = []
  let partial = ''
  child.stdout.on('data', (chunk) => {
    const lines = (partial + chunk).split('\n')
    partial = lines.pop()
    for (const line of lines) if (line.startsWith('{')) events.push(JSON.parse(line))
  })
  const m = { id, child, events, exited: new Promise((r) => child.on('exit', r)) }
  children.push(m)
  await waitFor(() => events.find((e) => e.type === 'ready'), `${id} to be ready`)
  return m
}

async function stopAll() {
  for (const m of children.splice(0)) {
    m.child.kill('SIGTERM')
    await m.exited
  }
}

function printVotes(members, since) {
  for (const m of members) {
    for (const e of m.events.slice(since.get(m) ?? 0)) {
      if (e.type === 'fleet:voted') show(`${m.id}: ${e.ack ? 'ACK' : `NACK ${e.problems.map((p) => `${where(p)} ${p.message}`).join('; ')}`} (version ${e.fleetVersion})`)
      if (e.type === 'fleet:committed') show(`${m.id}: applied version ${e.fleetVersion}`)
    }
  }
}

let proposer
let lastCommitted = 0
try {
  // redis-server creates its socket once it accepts connections.
  await waitFor(() => existsSync(socket), 'redis-server to listen')
  const project = join(tmp, 'proposer')
  await cp(join(here, 'proposer'), project, { recursive: true })
  await symlink(join(here, '../../node_modules'), join(project, 'node_modules'), 'dir')

  for (const run of [1, 2]) {
    say(run === 1 ? 'Run 1: three instances, all with the same schema' : 'Run 2: the canary runs a stricter schema (workers <= 24)')
    const members = [await member(`app-a${run}`, {}), await member(`app-b${run}`, {}), await member(`canary${run}`, { canary: 'true' }, run === 2 ? { FLEET_MAX_WORKERS: '24' } : {})]
    // A member loads the fleet's committed version before it is ready (none yet in run 1).
    if (lastCommitted > 0) await waitFor(() => members.every((m) => m.events.some((e) => e.type === 'fleet:caught-up')), 'the members to load the fleet version')
    show(`members ready: ${members.map((m) => `${m.id} (fleet version ${m.events.find((e) => e.type === 'fleet:caught-up')?.fleetVersion ?? 'none yet'})`).join(', ')}`)
    const events = []
    proposer = await createHotReload({ ...(await loadConfigFile(join(project, 'hotreload.config.ts'))), root: project, debounceMs: 20, prepareTimeoutMs: 20_000, onEvent: (e) => events.push(e) })
    const initial = events.find((e) => e.type === 'fleet:committed')
    show(initial ? `proposer started: the fleet committed its files as version ${initial.fleetVersion}` : 'proposer started: the fleet already holds its files')
    const since = new Map(members.map((m) => [m, m.events.length]))
    const from = events.length
    const workers = run === 1 ? 16 : 32
    say(`proposer saves config/app.json with "workers": ${workers}`)
    await writeFileAtomic(join(project, 'config/app.json'), `{\n  "greeting": "Hello, fleet",\n  "workers": ${workers}\n}\n`)
    const fresh = () => events.slice(from)
    const end = await waitFor(() => fresh().find((e) => (e.type === 'applied' || e.type === 'aborted') && e.paths.includes('config/app.json')), 'the decision')
    if (end.type === 'applied') {
      const committed = fresh().find((e) => e.type === 'fleet:committed')
      await waitFor(() => members.every((m) => m.events.some((e) => e.type === 'fleet:committed' && e.fleetVersion === committed?.fleetVersion)), 'every member to apply')
      printVotes(members, since)
      lastCommitted = committed?.fleetVersion ?? lastCommitted
      show(`✓ the fleet committed version ${committed?.fleetVersion}${committed?.excluded.length ? ` (excluded: ${committed.excluded.join(', ')})` : ''}`)
    } else {
      await waitFor(() => members.every((m) => m.events.slice(since.get(m)).some((e) => e.type === 'fleet:voted')), 'every vote')
      printVotes(members, since)
      show(`✗ aborted everywhere: ${end.abort.message}`)
      show(`every member keeps version ${lastCommitted}`)
    }
    await proposer.close()
    proposer = undefined
    await stopAll()
  }
} finally {
  await proposer?.close()
  await stopAll()
  redis.kill('SIGTERM')
  await new Promise((r) => (redis.exitCode === null ? redis.on('exit', r) : r()))
  await rm(tmp, { recursive: true, force: true })
}
