// Votes and decisions with real member processes (the hotreload CLI with the fleet plugin), a
// real redis-server and real proposers. Each test starts its own Redis and members.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { HotReloadEvent } from '@hotreload/core'
import { app, skipUnlessReady, startFleet } from './harness.js'

type Ev = Record<string, unknown> & { type: string }
const applied = (version: number) => (e: Ev) => e.type === 'fleet:committed' && e['fleetVersion'] === version
const abortOf = (e: HotReloadEvent) => (e.type === 'aborted' ? e.abort : undefined)

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
  const abort = abortOf(end)
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
  const [, doomed] = await Promise.all([fleet.member('m1'), fleet.member('doomed', { hold: true, leaseMs: 3000, heartbeatMs: 300 })])
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
  const proposer = await fleet.proposer(app(1), { voteTimeoutMs: 3000 })
  await fleet.allAt(['m1', 'slow'], 1)
  const end = await proposer.save(app(2, 'hold'))
  await slow.holding()
  assert.equal(end.type, 'aborted')
  assert.equal(abortOf(end)?.code, 'HR_FLEET_VOTE_TIMEOUT')
  assert.match(abortOf(end)?.message ?? '', /no vote by the deadline from .*slow/)
  assert.ok((abortOf(end)?.details as { silent: string[] }).silent.includes('slow'))
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
  const [, frozen] = await Promise.all([fleet.member('m1'), fleet.member('frozen', { leaseMs: 3000, heartbeatMs: 300 })])
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
