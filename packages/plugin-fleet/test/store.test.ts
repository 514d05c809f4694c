import assert from 'node:assert/strict'
import util from 'node:util'
import { test, type TestContext } from 'node:test'
import { FleetBlobError, FleetRedisError } from '../src/errors.js'
import { FleetStore, sha256 } from '../src/store.js'
import type { MemberInfo, Snapshot, StreamEvent } from '../src/types.js'
import { waitFor } from '../../../test/helpers/index.js'
import { hasRedis, startRedis } from './redis-server.js'

type T = TestContext

function info(labels: Record<string, string> = {}, version = 0): MemberInfo {
  return { labels, version, manifest: '', state: 'ok' }
}

async function setup(t: T, maxEvents = 1000) {
  const server = await startRedis(t)
  const errors: FleetRedisError[] = []
  const store = new FleetStore({ redis: { path: server.socket }, fleet: 'test', maxEvents, onError: (e) => errors.push(e) })
  t.after(() => store.close())
  return { server, store, errors }
}

/** Publishes files and returns the manifest hash and blob list. */
async function publish(store: FleetStore, files: Record<string, string>) {
  const entries = Object.entries(files)
  const hashes = await store.putBlobs(entries.map(([, c]) => Buffer.from(c)))
  const manifest = await store.putManifest({ files: Object.fromEntries(entries.map(([p, c], i) => [p, { hash: hashes[i] as string, size: Buffer.byteLength(c) }])) })
  return { manifest, blobs: hashes }
}

function skipWithoutRedis(t: T): boolean {
  if (hasRedis) return false
  t.skip('redis-server not found')
  return true
}

test('blobs are content-addressed and checked on read: missing and corrupt are errors naming the hash', async (t) => {
  if (skipWithoutRedis(t)) return
  const { server, store } = await setup(t)
  const [hash] = await store.putBlobs([Buffer.from('{"a":1}')])
  assert.equal(hash, sha256('{"a":1}'))
  assert.equal((await store.getBlob(hash as string)).toString(), '{"a":1}')
  await server.client().set(store.keys.blob(hash as string), 'tampered')
  await assert.rejects(store.getBlob(hash as string, 'config/a.json'), (e: unknown) => e instanceof FleetBlobError && e.code === 'HR_FLEET_BLOB_CORRUPT' && e.path === 'config/a.json')
  await assert.rejects(store.getBlob(sha256('nothing')), (e: unknown) => e instanceof FleetBlobError && e.code === 'HR_FLEET_BLOB_MISSING' && /missing/.test(e.message))
})

test('every key of the fleet shares one hash tag', async (t) => {
  if (skipWithoutRedis(t)) return
  const { server, store } = await setup(t)
  await store.heartbeat('m1', 5000, info())
  const { manifest, blobs } = await publish(store, { 'config/a.json': '{}' })
  const proposed = await store.propose({ manifest, blobs, base: -1, voteMs: 5000, proposer: 'p' })
  assert.equal(proposed.result, 'ok')
  const keys = await server.client().keys('*')
  assert.ok(keys.length >= 8, keys.join(' '))
  for (const key of keys) assert.match(key, /^hr:\{test\}:/)
})

test('all participants ACK: the proposal commits and current points at its manifest', async (t) => {
  if (skipWithoutRedis(t)) return
  const { store } = await setup(t)
  await store.heartbeat('m1', 5000, info())
  await store.heartbeat('m2', 5000, info())
  const { manifest, blobs } = await publish(store, { 'config/a.json': '{"a":1}' })
  const p = await store.propose({ manifest, blobs, base: 0, voteMs: 5000, proposer: 'p' })
  assert.equal(p.result, 'ok')
  if (p.result !== 'ok') return
  assert.deepEqual([...p.participants].sort(), ['m1', 'm2'])
  assert.equal(p.version, 1)
  assert.equal((await store.vote(p.id, 'm1', true)).decision?.state, 'open')
  assert.equal((await store.vote(p.id, 'm1', true)).result, 'already')
  const last = await store.vote(p.id, 'm2', true)
  assert.deepEqual(last.decision, { state: 'committed', id: p.id, version: 1, excluded: [] })
  const snap = await store.snapshot()
  assert.equal(snap.current?.version, 1)
  assert.equal(snap.current?.manifest, manifest)
  assert.equal(snap.open, '')
  assert.equal((await store.vote(p.id, 'm2', true)).result, 'late')
  assert.deepEqual(await store.settle(p.id), { state: 'committed', id: p.id, version: 1, excluded: [] })
})

test('one NACK aborts with the member and its problems; current keeps its version', async (t) => {
  if (skipWithoutRedis(t)) return
  const { store } = await setup(t)
  await store.heartbeat('m1', 5000, info())
  await store.heartbeat('m2', 5000, info())
  const { manifest, blobs } = await publish(store, { 'config/a.json': '{"a":1}' })
  const p = await store.propose({ manifest, blobs, base: 0, voteMs: 5000, proposer: 'p' })
  assert.equal(p.result, 'ok')
  if (p.result !== 'ok') return
  const problem = { plugin: 'config', code: 'HR_CONFIG_SCHEMA', message: 'must be <= 10', path: 'config/a.json', line: 1, column: 6 }
  const nack = await store.vote(p.id, 'm2', false, [problem])
  assert.equal(nack.decision?.state, 'aborted')
  if (nack.decision?.state !== 'aborted') return
  assert.equal(nack.decision.abort.code, 'HR_FLEET_NACK')
  assert.deepEqual(nack.decision.abort.nacks, [{ member: 'm2', problems: [problem] }])
  assert.equal((await store.vote(p.id, 'm1', true)).result, 'late')
  const snap = await store.snapshot()
  assert.equal(snap.current, undefined)
  assert.equal(snap.open, '')
  assert.equal((await store.proposal(p.id))?.status, 'aborted')
})

test('busy while a proposal is open, stale against an old base, missing when a blob is not stored', async (t) => {
  if (skipWithoutRedis(t)) return
  const { store } = await setup(t)
  await store.heartbeat('m1', 5000, info())
  const one = await publish(store, { 'a.json': '1' })
  const p = await store.propose({ ...one, base: 0, voteMs: 5000, proposer: 'p' })
  assert.equal(p.result, 'ok')
  if (p.result !== 'ok') return
  const two = await publish(store, { 'a.json': '2' })
  assert.deepEqual(await store.propose({ ...two, base: 0, voteMs: 5000, proposer: 'q' }), { result: 'busy', open: p.id })
  await store.vote(p.id, 'm1', true)
  assert.deepEqual(await store.propose({ ...two, base: 0, voteMs: 5000, proposer: 'q' }), { result: 'stale', current: 1 })
  const ghost = sha256('never stored')
  const manifest = await store.putManifest({ files: { 'b.json': { hash: ghost, size: 3 } } })
  assert.deepEqual(await store.propose({ manifest, blobs: [ghost], base: 1, voteMs: 5000, proposer: 'q' }), { result: 'missing', hash: ghost, path: 'b.json' })
  // A blob that exists but is not declared in KEYS is refused too: the script never touches undeclared keys.
  assert.equal((await store.propose({ manifest: two.manifest, blobs: [], base: 1, voteMs: 5000, proposer: 'q' })).result, 'missing')
})

test('a participant whose lease expires before voting is excluded and named in the commit', async (t) => {
  if (skipWithoutRedis(t)) return
  const { store } = await setup(t)
  await store.heartbeat('alive', 10_000, info())
  const leaseMs = 1500
  const leased = Date.now()
  await store.heartbeat('dying', leaseMs, info())
  const { manifest, blobs } = await publish(store, { 'a.json': '1' })
  const p = await store.propose({ manifest, blobs, base: 0, voteMs: 20_000, proposer: 'p' })
  assert.equal(p.result, 'ok')
  if (p.result !== 'ok') return
  const ack = await store.vote(p.id, 'alive', true)
  // On a loaded machine the lease may be over by the time the vote lands: then the vote itself
  // commits without the dying member. Before the lease ends, the dying member is still awaited.
  const open = { state: 'open', id: p.id, pending: ['dying'] }
  if (Date.now() - leased < leaseMs) assert.deepEqual(ack.decision, open)
  else assert.ok([open, { state: 'committed', id: p.id, version: 1, excluded: ['dying'] }].some((d) => util.isDeepStrictEqual(ack.decision, d)), JSON.stringify(ack.decision))
  const decided = await waitFor(async () => {
    const d = await store.settle(p.id)
    return d.state === 'committed' ? d : undefined
  }, { message: 'the commit after the lease expired' })
  assert.deepEqual(decided.excluded, ['dying'])
  assert.deepEqual((await store.snapshot()).current?.excluded, ['dying'])
  assert.equal((await store.vote(p.id, 'dying', true)).result, 'late')
})

test('a live member that never votes aborts the proposal at the deadline; its late vote is refused', async (t) => {
  if (skipWithoutRedis(t)) return
  const { store } = await setup(t)
  await store.heartbeat('a', 30_000, info())
  await store.heartbeat('silent', 30_000, info())
  const { manifest, blobs } = await publish(store, { 'a.json': '1' })
  const p = await store.propose({ manifest, blobs, base: 0, voteMs: 400, proposer: 'p' })
  assert.equal(p.result, 'ok')
  if (p.result !== 'ok') return
  await store.vote(p.id, 'a', true)
  const decided = await waitFor(async () => {
    const d = await store.settle(p.id)
    return d.state === 'aborted' ? d : undefined
  }, { message: 'the abort at the deadline' })
  assert.equal(decided.abort.code, 'HR_FLEET_VOTE_TIMEOUT')
  assert.deepEqual(decided.abort.silent, ['silent'])
  const late = await store.vote(p.id, 'silent', true)
  assert.equal(late.result, 'late')
  assert.equal(late.decision?.state, 'aborted')
})

test('a proposal with no live participant commits at once', async (t) => {
  if (skipWithoutRedis(t)) return
  const { store } = await setup(t)
  const { manifest, blobs } = await publish(store, { 'a.json': '1' })
  const p = await store.propose({ manifest, blobs, base: 0, voteMs: 1000, proposer: 'p' })
  assert.equal(p.result === 'ok' && p.decision.state, 'committed')
})

test('gray release: a targeted proposal commits on a branch, promote makes it the main line, end removes it', async (t) => {
  if (skipWithoutRedis(t)) return
  const { store } = await setup(t)
  await store.heartbeat('canary', 10_000, info({ canary: 'true' }))
  await store.heartbeat('plain', 10_000, info())
  const base = await publish(store, { 'a.json': '1' })
  const p0 = await store.propose({ ...base, base: 0, voteMs: 5000, proposer: 'p' })
  assert.equal(p0.result, 'ok')
  if (p0.result !== 'ok') return
  await store.vote(p0.id, 'canary', true)
  await store.vote(p0.id, 'plain', true)

  const gray = await publish(store, { 'a.json': '2' })
  const g = await store.propose({ ...gray, base: -1, target: { canary: 'true' }, branch: 'canary', voteMs: 5000, proposer: 'p' })
  assert.equal(g.result, 'ok')
  if (g.result !== 'ok') return
  assert.deepEqual(g.participants, ['canary'])
  assert.equal((await store.vote(g.id, 'canary', true)).decision?.state, 'committed')
  let snap = await store.snapshot()
  assert.equal(snap.current?.version, 1)
  assert.deepEqual(snap.branches.map((b) => [b.name, b.version, b.manifest]), [['canary', 2, gray.manifest]])

  const promote = await store.propose({ ...gray, base: 1, promotes: 'canary', voteMs: 5000, proposer: 'p' })
  assert.equal(promote.result, 'ok')
  if (promote.result !== 'ok') return
  assert.equal(promote.version, 3)
  await store.vote(promote.id, 'canary', true)
  await store.vote(promote.id, 'plain', true)
  snap = await store.snapshot()
  assert.equal(snap.current?.manifest, gray.manifest)
  assert.deepEqual(snap.branches, [])

  const again = await publish(store, { 'a.json': '3' })
  const g2 = await store.propose({ ...again, base: -1, target: { canary: 'true' }, branch: 'canary', voteMs: 5000, proposer: 'p' })
  if (g2.result !== 'ok') return assert.fail(g2.result)
  await store.vote(g2.id, 'canary', true)
  assert.equal((await store.snapshot()).branches.length, 1)
  assert.equal((await store.endBranch('canary')).result, 'ok')
  assert.deepEqual((await store.snapshot()).branches, [])
  assert.equal((await store.endBranch('canary')).result, 'unknown-branch')
})

test('after Redis lost its data a new epoch starts and version numbers continue above what members report', async (t) => {
  if (skipWithoutRedis(t)) return
  const { server, store } = await setup(t)
  await store.heartbeat('m1', 10_000, info())
  const one = await publish(store, { 'a.json': '1' })
  for (const base of [0, 1]) {
    const p = await store.propose({ ...one, base, voteMs: 5000, proposer: 'p' })
    if (p.result !== 'ok') return assert.fail(p.result)
    await store.vote(p.id, 'm1', true)
  }
  const before = await store.snapshot()
  assert.equal(before.current?.version, 2)
  await server.client().flushall()
  // The member still serves version 2 and says so in its heartbeat.
  await store.heartbeat('m1', 10_000, info({}, 2))
  const after = await store.snapshot()
  assert.notEqual(after.epoch, before.epoch)
  const again = await publish(store, { 'a.json': '1' })
  const p = await store.propose({ ...again, base: -1, voteMs: 5000, proposer: 'p' })
  if (p.result !== 'ok') return assert.fail(p.result)
  assert.equal(p.version, 3)
})

test('a follower whose position was trimmed away re-reads the state instead of missing events', async (t) => {
  if (skipWithoutRedis(t)) return
  const { store } = await setup(t, 5)
  const events: StreamEvent[] = []
  const snapshots: [Snapshot, string][] = []
  let holding = false
  let release: () => void = () => {}
  const follower = store.follow({
    async onEvent(e) {
      events.push(e)
      if (e.kind === 'join' && e.member === 'first') {
        holding = true
        await new Promise<void>((resolve) => (release = resolve))
      }
    },
    onSnapshot: (s, why) => void snapshots.push([s, why]),
    onError: (e) => assert.fail(e),
  })
  t.after(() => follower.close())
  await follower.started
  await store.heartbeat('first', 10_000, info())
  await waitFor(() => holding, { message: 'the follower to hold on the first event' })
  // While the slow reader holds, far more events than the cap are written.
  for (let i = 0; i < 12; i++) await store.heartbeat(`m${i}`, 10_000, info())
  release()
  await waitFor(() => snapshots.find(([, why]) => why === 'gap'), { message: 'a snapshot after the gap' })
  const gap = snapshots.find(([, why]) => why === 'gap')?.[0]
  assert.equal(gap?.members.length, 13)
  await store.heartbeat('after', 10_000, info())
  await waitFor(() => events.find((e) => e.kind === 'join' && e.member === 'after'), { message: 'events after the resync' })
  assert.ok(!events.some((e) => e.kind === 'join' && e.member === 'm0'), 'trimmed events are not delivered as if nothing was lost')
})

test('Redis restarted with appendonly: the committed version survives, clients reconnect, the outage is an error with a hint', async (t) => {
  if (skipWithoutRedis(t)) return
  const { server, store, errors } = await setup(t)
  const unhandled: unknown[] = []
  const onUnhandled = (e: unknown) => unhandled.push(e)
  process.on('unhandledRejection', onUnhandled)
  t.after(() => void process.off('unhandledRejection', onUnhandled))
  await store.heartbeat('m1', 60_000, info())
  const { manifest, blobs } = await publish(store, { 'a.json': '1' })
  const p = await store.propose({ manifest, blobs, base: 0, voteMs: 5000, proposer: 'p' })
  if (p.result !== 'ok') return assert.fail(p.result)
  await store.vote(p.id, 'm1', true)
  const epoch = (await store.snapshot()).epoch
  await server.stop()
  await waitFor(() => errors.length > 0, { message: 'the outage to be reported' })
  assert.equal(errors[0]?.code, 'HR_FLEET_REDIS')
  assert.match(errors[0]?.hint ?? '', /appendonly/)
  await server.start()
  const snap = await waitFor(() => store.snapshot(), { timeoutMs: 20_000, message: 'the store to reconnect' })
  assert.equal(snap.epoch, epoch)
  assert.equal(snap.current?.version, 1)
  assert.equal((await store.getBlob(blobs[0] as string)).toString(), '1')
  assert.deepEqual(unhandled, [])
})
