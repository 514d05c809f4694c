// The fleet with real member processes (the hotreload CLI with the fleet plugin), a real
// redis-server, and real proposers. Each test starts its own Redis and members.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { waitFor } from '../../../test/helpers/index.js'
import { runCli } from '../../../test/helpers/cli.js'
import { FleetStore } from '../src/store.js'
import { app, skipUnlessReady, startFleet } from './harness.js'

type Ev = Record<string, unknown> & { type: string }
const applied = (version: number) => (e: Ev) => e.type === 'fleet:committed' && e['fleetVersion'] === version
const abortOf = (e: Ev) => (e as { abort?: { code?: string; message?: string; details?: unknown } }).abort

test('all members ACK and all apply the same version', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  const members = await Promise.all(['m1', 'm2', 'm3'].map((id) => fleet.member(id)))
  const proposer = await fleet.proposer(app(1))
  await fleet.allAt(['m1', 'm2', 'm3'], 1)
  const end = await proposer.save(app(2))
  assert.equal(end.type, 'applied')
  await fleet.allAt(['m1', 'm2', 'm3'], 2)
  for (const m of members) {
    await m.waitEvent(applied(2), 'the commit of version 2')
    const votes = m.events().filter((e) => e.type === 'fleet:voted')
    assert.ok(votes.every((v) => v['ack'] === true && v['refused'] === undefined), JSON.stringify(votes))
  }
  const snap = await fleet.store.snapshot()
  assert.equal(snap.current?.version, 2)
  assert.deepEqual(new Set(snap.members.map((m) => m.info?.manifest)), new Set([snap.current?.manifest]))
})

test("one member's stricter schema NACKs: nobody changes version, the proposer's aborted event names it with file:line:column", async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  await Promise.all([fleet.member('m1'), fleet.member('strict', { maxLimit: 10 })])
  const proposer = await fleet.proposer(app(5))
  await fleet.allAt(['m1', 'strict'], 1)
  const end = await proposer.save(app(50))
  assert.equal(end.type, 'aborted')
  const abort = abortOf(end as Ev)
  assert.equal(abort?.code, 'HR_FLEET_NACK')
  assert.match(abort?.message ?? '', /member strict rejected it: config\/app\.json:2:\d+: /)
  const nacks = (abort?.details as { nacks: { member: string; problems: { path: string; line: number }[] }[] }).nacks
  assert.deepEqual(nacks.map((n) => [n.member, n.problems[0]?.path, n.problems[0]?.line]), [['strict', 'config/app.json', 2]])
  const snap = await fleet.store.snapshot()
  assert.equal(snap.current?.version, 1)
  assert.deepEqual(snap.members.map((m) => m.info?.version), [1, 1])
})

test('a member SIGKILLed after receiving a proposal and before voting: the fleet commits once its lease expires, naming it excluded', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  const [, doomed] = await Promise.all([fleet.member('m1'), fleet.member('doomed', { hold: true, leaseMs: 1500 })])
  const proposer = await fleet.proposer(app(1))
  await fleet.allAt(['m1', 'doomed'], 1)
  const saving = proposer.save(app(2, 'hold'))
  await doomed.holding()
  doomed.signal('SIGKILL')
  const end = await saving
  assert.equal(end.type, 'applied')
  const committed = proposer.events.of('fleet:committed').at(-1)
  assert.deepEqual(committed?.excluded, ['doomed'])
  assert.deepEqual((await fleet.store.snapshot()).current?.excluded, ['doomed'])
  await fleet.allAt(['m1'], 2)
})

test('a live member that never votes aborts the proposal at the deadline, and its late vote is refused', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  const [, slow] = await Promise.all([fleet.member('m1'), fleet.member('slow', { hold: true })])
  const proposer = await fleet.proposer(app(1), { voteTimeoutMs: 1500 })
  await fleet.allAt(['m1', 'slow'], 1)
  const end = await proposer.save(app(2, 'hold'))
  await slow.holding()
  assert.equal(end.type, 'aborted')
  assert.equal(abortOf(end as Ev)?.code, 'HR_FLEET_VOTE_TIMEOUT')
  assert.match(abortOf(end as Ev)?.message ?? '', /no vote by the deadline from slow/)
  await slow.release()
  const late = await slow.waitEvent((e) => e.type === 'fleet:voted' && e['refused'] === 'late', 'its late vote refused')
  assert.equal(late['ack'], true)
  assert.equal((await fleet.store.snapshot()).current?.version, 1)
})

test('the proposer killed mid-proposal: the members settle it without it', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  const [a, b] = await Promise.all([fleet.member('a', { hold: true }), fleet.member('b', { hold: true })])
  // The publisher is a real `hotreload fleet publish` process, killed while the votes are out.
  const publisher = await fleet.publisherProject(app(7, 'hold'))
  const run = publisher.start()
  await Promise.all([a.holding(), b.holding()])
  run.child.kill('SIGKILL')
  await run.exit()
  await Promise.all([a.release(), b.release()])
  await fleet.allAt(['a', 'b'], 1)
  const snap = await fleet.store.snapshot()
  assert.equal(snap.current?.version, 1)
  assert.equal(snap.open, '')
})

test('a member frozen with SIGSTOP is excluded; resumed, it validates and loads the committed version', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  const [, frozen] = await Promise.all([fleet.member('m1'), fleet.member('frozen', { leaseMs: 1500 })])
  const proposer = await fleet.proposer(app(1))
  await fleet.allAt(['m1', 'frozen'], 1)
  frozen.signal('SIGSTOP')
  const end = await proposer.save(app(2))
  assert.equal(end.type, 'applied')
  assert.deepEqual(proposer.events.of('fleet:committed').at(-1)?.excluded, ['frozen'])
  frozen.signal('SIGCONT')
  await frozen.waitEvent((e) => e.type === 'fleet:caught-up' && e['fleetVersion'] === 2, 'catching up after the pause')
  await fleet.allAt(['m1', 'frozen'], 2)
})

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
  assert.equal(abortOf(stale as Ev)?.code, 'HR_FLEET_STALE')
  // The first proposer's next proposal waits on the held member; the second one is busy.
  const holding = one.save(app(4, 'hold'))
  await m.holding()
  const busy = await two.save(app(5))
  assert.equal(busy.type, 'aborted')
  assert.equal(abortOf(busy as Ev)?.code, 'HR_FLEET_BUSY')
  await m.release()
  assert.equal((await holding).type, 'applied')
  await fleet.allAt(['m1'], 3)
})

test('a corrupt blob (hash mismatch) is a NACK with a clear reason', async (t) => {
  if (skipUnlessReady(t)) return
  const fleet = await startFleet(t)
  const m = await fleet.member('m1')
  const bytes = Buffer.from('{ "limit": 9 }\n')
  const [hash] = await fleet.store.putBlobs([bytes])
  await fleet.redis.client().set(fleet.store.keys.blob(hash as string), '{ "limit": 999999 }\n')
  const manifest = await fleet.store.putManifest({ files: { 'config/app.json': { hash: hash as string, size: bytes.length } } })
  const p = await fleet.store.propose({ manifest, blobs: [hash as string], base: -1, voteMs: 10_000, proposer: 'test' })
  if (p.result !== 'ok') return assert.fail(p.result)
  const nack = await m.waitEvent((e) => e.type === 'fleet:voted' && e['ack'] === false, 'the NACK')
  const problem = (nack['problems'] as { path?: string; message: string }[])[0]
  assert.equal(problem?.path, 'config/app.json')
  assert.match(problem?.message ?? '', /corrupt: its bytes do not hash to their sha256 name/)
  const decided = await fleet.store.settle(p.id)
  assert.equal(decided.state, 'aborted')
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
  await fleet.redis.restart()
  const after = await waitFor(() => fleet.store.snapshot(), { timeoutMs: 20_000, message: 'Redis back' })
  assert.equal(after.epoch, before.epoch)
  assert.equal(after.current?.version, 1)
  assert.equal((await proposer.save(app(2))).type, 'applied')
  await fleet.allAt(['m1', 'm2'], 2)
  for (const m of members) {
    const errors = m.events().filter((e) => e.type === 'error')
    assert.ok(errors.length > 0 && errors.every((e) => /HR_FLEET_REDIS/.test(JSON.stringify(e))), JSON.stringify(errors))
    assert.ok(!m.cli.stderr.join('\n').includes('Unhandled error event'), m.cli.stderr.join('\n'))
  }
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
