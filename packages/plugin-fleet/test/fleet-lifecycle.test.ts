// Joining, catching up, gray branches, Redis restarts and status, with real member processes
// (the hotreload CLI with the fleet plugin), a real redis-server and real proposers.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { HotReloadEvent } from '@hotreload/core'
import { waitFor } from '../../../test/helpers/index.js'
import { runCli } from '../../../test/helpers/cli.js'
import { FleetStore } from '../src/store.js'
import { app, skipUnlessReady, startFleet } from './harness.js'

const abortOf = (e: HotReloadEvent) => (e.type === 'aborted' ? e.abort : undefined)

test('a late joiner and a restarted member load the current version before ready', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  const first = await fleet.member('first')
  const proposer = await fleet.proposer(app(1))
  await proposer.save(app(3))
  await fleet.allAt(['first'], 2)
  const late = await fleet.member('late')
  const order = late.events().map((e) => e.type)
  assert.ok(order.indexOf('applied') >= 0 && order.indexOf('applied') < order.indexOf('ready'), order.join(','))
  await fleet.allAt(['first', 'late'], 2)
  first.signal('SIGKILL')
  await first.cli.exit()
  await first.restart()
  const again = first.events().map((e) => e.type)
  assert.ok(again.indexOf('applied') >= 0 && again.indexOf('applied') < again.indexOf('ready'), again.join(','))
  await fleet.allAt(['first'], 2)
})

test('a stale base is refused, and of two concurrent proposals the second is busy', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  const m = await fleet.member('m1', { hold: true })
  const one = await fleet.proposer(app(1))
  const two = await fleet.proposer(app(1))
  await fleet.allAt(['m1'], 1)
  assert.equal((await one.save(app(2))).type, 'applied')
  const stale = await two.save(app(3))
  assert.equal(stale.type, 'aborted')
  assert.equal(abortOf(stale)?.code, 'HR_FLEET_STALE')
  // The first proposer's next proposal waits on the held member; the second one is busy.
  const holding = one.save(app(4, 'hold'))
  await m.holding()
  const busy = await two.save(app(5))
  assert.equal(busy.type, 'aborted')
  assert.equal(abortOf(busy)?.code, 'HR_FLEET_BUSY')
  await m.release()
  assert.equal((await holding).type, 'applied')
  await fleet.allAt(['m1'], 3)
})

test('an apply that fails after the commit on one member: it reports itself diverged, the others stay committed', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  const [, broken] = await Promise.all([fleet.member('m1'), fleet.member('broken', { failApply: true })])
  const proposer = await fleet.proposer(app(1))
  await fleet.allAt(['m1', 'broken'], 1)
  assert.equal((await proposer.save(app(2, 'boom'))).type, 'applied')
  await fleet.allAt(['m1'], 2)
  const diverged = await broken.waitEvent((e) => e.type === 'fleet:diverged', 'the diverged event')
  assert.equal(diverged['wanted'], 2)
  assert.equal(diverged['fleetVersion'], 1)
  await waitFor(async () => (await fleet.members()).find((m) => m.id === 'broken')?.info?.state === 'diverged', { message: 'broken listed as diverged' })
  const listed = (await fleet.members()).find((m) => m.id === 'broken')
  assert.equal(listed?.info?.version, 1)
  assert.match(listed?.info?.problem ?? '', /apply refused by this member/)
})

test('gray release to canary=true: it commits on the canaries only, then promote brings it to all', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  await Promise.all([fleet.member('plain'), fleet.member('canary', { labels: { canary: 'true' } })])
  const main = await fleet.proposer(app(1))
  await fleet.allAt(['plain', 'canary'], 1)
  const gray = await fleet.proposer(app(1), { target: { canary: 'true' } })
  assert.equal((await gray.save(app(2))).type, 'applied')
  await fleet.allAt(['canary'], 2)
  await fleet.allAt(['plain'], 1)
  assert.deepEqual((await fleet.store.snapshot()).branches.map((b) => [b.name, b.version]), [['canary=true', 2]])
  const promoted = await main.plugin.promote('canary=true')
  assert.equal(promoted.state, 'committed')
  await fleet.allAt(['plain', 'canary'], 3)
  const snap = await fleet.store.snapshot()
  assert.deepEqual(snap.branches, [])
  assert.equal(new Set(snap.members.map((m) => m.info?.manifest)).size, 1)
})

test('gray release ended: the canaries go back to the main line', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  const canary = await fleet.member('canary', { labels: { canary: 'true' } })
  const main = await fleet.proposer(app(1))
  await fleet.allAt(['canary'], 1)
  const gray = await fleet.proposer(app(1), { target: { canary: 'true' } })
  assert.equal((await gray.save(app(2))).type, 'applied')
  await fleet.allAt(['canary'], 2)
  assert.equal(await main.plugin.endBranch('canary=true'), true)
  await canary.waitEvent((e) => e.type === 'fleet:caught-up' && e['fleetVersion'] === 1, 'back on the main line')
  await fleet.allAt(['canary'], 1)
})

test('Redis restarted with appendonly on: nothing is lost and the members reconnect by themselves', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  const members = await Promise.all([fleet.member('m1'), fleet.member('m2')])
  const proposer = await fleet.proposer(app(1))
  await fleet.allAt(['m1', 'm2'], 1)
  const before = await fleet.store.snapshot()
  await fleet.redis.stop()
  // While Redis is down each member reports the outage as an error event with a hint.
  for (const m of members) {
    const error = await m.waitEvent((e) => e.type === 'error' && JSON.stringify(e).includes('HR_FLEET_REDIS'), 'the outage reported')
    assert.match(JSON.stringify(error), /appendonly/)
  }
  await fleet.redis.start()
  const after = await waitFor(() => fleet.store.snapshot(), { timeoutMs: 60_000, message: 'Redis back' })
  assert.equal(after.epoch, before.epoch)
  assert.equal(after.current?.version, 1)
  assert.equal((await proposer.save(app(2))).type, 'applied')
  await fleet.allAt(['m1', 'm2'], 2)
  for (const m of members) assert.ok(!m.cli.stderr.join('\n').includes('Unhandled error event'), m.cli.stderr.join('\n'))
})

test('a stream trimmed past a slow member: it re-reads the state and follows the line it missed', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  const slow = await fleet.member('slow', { labels: { canary: 'true' }, leaseMs: 60_000, heartbeatMs: 1000, maxEvents: 5 })
  const main = await fleet.proposer(app(1), { maxEvents: 5 })
  await fleet.allAt(['slow'], 1)
  const gray = await fleet.proposer(app(1), { target: { canary: 'true' }, maxEvents: 5 })
  assert.equal((await gray.save(app(2))).type, 'applied')
  await fleet.allAt(['slow'], 2)
  slow.signal('SIGSTOP')
  assert.equal(await main.plugin.endBranch('canary=true'), true)
  // Far more events than the stream keeps, while the slow member reads nothing (written with
  // the fleet's cap: every writer trims the stream to its own maxEvents).
  const ghostErrors: Error[] = []
  const ghosts = new FleetStore({ redis: { path: fleet.redis.socket }, fleet: 'test', maxEvents: 5, onError: (e) => ghostErrors.push(e) })
  for (let i = 0; i < 12; i++) await ghosts.heartbeat(`ghost-${i}`, 60_000, { labels: {}, version: 0, manifest: '', state: 'ok' })
  for (let i = 0; i < 12; i++) await ghosts.leave(`ghost-${i}`)
  assert.equal(await fleet.redis.client().xlen(fleet.store.keys.events), 5)
  slow.signal('SIGCONT')
  await slow.waitEvent((e) => e.type === 'fleet:caught-up' && e['fleetVersion'] === 1, 'back on the main line after the gap')
  await fleet.allAt(['slow'], 1)
  await ghosts.close()
  assert.deepEqual(ghostErrors, [])
})

test('hotreload fleet status --json shows the committed version, members with labels and leases, and branches', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  const m = await fleet.member('m1', { labels: { zone: 'a' } })
  await fleet.proposer(app(1))
  await fleet.allAt(['m1'], 1)
  const { code, stdout, stderr } = await runCli(['fleet', 'status', '--json'], m.dir)
  assert.equal(code, 0, stderr)
  const status = JSON.parse(stdout.split('\n').filter((l) => l.startsWith('{') && l.includes('"snapshot"')).at(-1) ?? '{}') as {
    snapshot: { current: { version: number }; members: { id: string; expires: number; info: { labels: Record<string, string>; version: number } }[]; branches: unknown[] }
  }
  assert.equal(status.snapshot.current.version, 1)
  assert.deepEqual(status.snapshot.members.map((x) => [x.id, x.info.labels, x.info.version]), [['m1', { zone: 'a' }, 1]])
  assert.ok(status.snapshot.members[0] && status.snapshot.members[0].expires > 0)
  const text = await runCli(['fleet', 'status'], m.dir)
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /committed: version 1/)
  assert.match(text.stdout, /m1 {2}version 1 {2}\[zone=a\]/)
})

test('a late joiner whose own validation rejects the committed version keeps nothing loaded and reports itself diverged', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  await fleet.member('m1')
  const proposer = await fleet.proposer(app(50))
  await fleet.allAt(['m1'], 1)
  const strict = await fleet.member('strict', { maxLimit: 10 })
  const diverged = await strict.waitEvent((e) => e.type === 'fleet:diverged', 'the diverged event')
  assert.equal(diverged['wanted'], 1)
  assert.equal(diverged['fleetVersion'], 0)
  assert.equal((diverged['problems'] as { path?: string }[])[0]?.path, 'config/app.json')
  await waitFor(async () => (await fleet.members()).find((m) => m.id === 'strict')?.info?.state === 'diverged', { timeoutMs: 60_000, message: 'strict listed as diverged' })
  // A version it accepts brings it back.
  assert.equal((await proposer.save(app(5))).type, 'applied')
  await fleet.allAt(['m1', 'strict'], 2)
  assert.equal((await fleet.members()).find((m) => m.id === 'strict')?.info?.state, 'ok')
})

test('hotreload fleet publish validates the files here, publishes them, prints every vote and the commit', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  await Promise.all([fleet.member('m1'), fleet.member('m2')])
  const publisher = await fleet.publisherProject(app(3))
  const run = publisher.start()
  const code = await run.exit()
  const out = run.stdout.join('\n')
  assert.equal(code, 0, `${out}\n${run.stderr.join('\n')}`)
  assert.match(out, /proposed version 1 \(.+\) to m1, m2|proposed version 1 \(.+\) to m2, m1/)
  assert.match(out, /m1: ACK\n\s+m2: ACK/)
  assert.match(out, /committed version 1/)
  await fleet.allAt(['m1', 'm2'], 1)
  // The same files again: nothing to publish.
  const again = publisher.start()
  assert.equal(await again.exit(), 0)
  assert.match(again.stdout.join('\n'), /nothing to publish: the fleet already holds these files as version 1/)
})

test('Redis lost its data: a new epoch starts, version numbers go on above the members\', the proposer uploads what was lost', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  await Promise.all([fleet.member('m1'), fleet.member('m2')])
  const proposer = await fleet.proposer({ ...app(1), 'config/extra.json': '{ "a": 1 }\n' })
  await fleet.allAt(['m1', 'm2'], 1)
  assert.equal((await proposer.save(app(2))).type, 'applied')
  await fleet.allAt(['m1', 'm2'], 2)
  const before = await fleet.store.snapshot()
  await fleet.redis.client().flushall()
  // The members register again with the version they serve; the counter starts above it.
  await waitFor(async () => (await fleet.members()).length === 2, { timeoutMs: 60_000, message: 'the members back in the new epoch' })
  const after = await fleet.store.snapshot()
  assert.notEqual(after.epoch, before.epoch)
  assert.equal(after.current, undefined)
  assert.ok(after.seq >= 2, `version counter ${after.seq}`)
  // config/extra.json did not change, but its blob is gone: the proposer reads it again.
  const end = await proposer.save(app(3))
  assert.equal(end.type, 'applied', JSON.stringify(end))
  await fleet.allAt(['m1', 'm2'], 3)
  assert.equal((await fleet.store.snapshot()).current?.version, 3)
})
