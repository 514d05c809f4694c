// The browser plugin's GET <prefix>/status includes the fleet's status when both are installed:
// a member instance with plugin-browser, a proposer instance, a real redis-server, over HTTP.
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { test, type TestContext } from 'node:test'
import { createHotReload, writeFileAtomic, type HotReload } from '@hotreload/core'
import { browser, type BrowserPlugin, type StatusView } from '@hotreload/plugin-browser'
import configPlugin from '@hotreload/plugin-config'
import { Type } from '@sinclair/typebox'
import { fleet, type FleetStatus } from '../src/index.js'
import { makeTempProject, waitFor } from '../../../test/helpers/index.js'
import { hasRedis, startRedis, type RedisServer } from './redis-server.js'

const schemas = { app: Type.Object({ limit: Type.Integer() }) }

function getStatus(hot: BrowserPlugin): Promise<{ code: number; body: StatusView }> {
  const address = hot.address()
  assert.ok(address, 'the browser plugin listens')
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: address.port, path: '/__hotreload/status', headers: { host: `127.0.0.1:${address.port}` } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => {
        try {
          resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) as StatusView })
        } catch (error) {
          reject(new Error(`status ${res.statusCode}: ${text}`, { cause: error }))
        }
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** A member with the browser plugin listening on a free port, and a proposer, on one redis-server. */
async function setup(t: TestContext): Promise<{ redis: RedisServer; member: HotReload; hot: BrowserPlugin; proposer: HotReload; proposerRoot: (rel: string) => string }> {
  const redis = await startRedis(t)
  const memberProject = await makeTempProject({}, 'hotreload-fleet-browser-member-')
  const hot = browser({ listen: { port: 0, host: '127.0.0.1' } })
  const member = await createHotReload({
    root: memberProject.root,
    prepareTimeoutMs: 60_000,
    plugins: [configPlugin({ schemas }), fleet({ role: 'member', redis: { path: redis.socket }, fleet: 'test', id: 'web-1', labels: { canary: 'true' }, heartbeatMs: 100 }), hot],
  })
  const proposerProject = await makeTempProject({ 'config/app.json': '{ "limit": 1 }\n' }, 'hotreload-fleet-browser-proposer-')
  t.after(async () => {
    await member.close()
    await memberProject.cleanup()
  })
  // The proposer starts once the member is in the fleet, so its initial load is voted on.
  await waitFor(async () => ((await getStatus(hot)).body.sections.fleet as FleetStatus | undefined)?.snapshot.members.some((m) => m.id === 'web-1'), { timeoutMs: 60_000, message: 'web-1 to join the fleet' })
  const proposer = await createHotReload({
    root: proposerProject.root,
    include: ['config/**'],
    debounceMs: 20,
    prepareTimeoutMs: 60_000,
    plugins: [configPlugin({ schemas }), fleet({ role: 'proposer', redis: { path: redis.socket }, fleet: 'test', id: 'ci', voteTimeoutMs: 30_000 })],
  })
  t.after(async () => {
    await proposer.close()
    await proposerProject.cleanup()
  })
  return { redis, member, hot, proposer, proposerRoot: (rel) => proposerProject.path(rel) }
}

test('GET /status of a fleet member includes the fleet: committed version, members with version, labels and lease', async (t) => {
  if (!hasRedis) return t.skip('redis-server not found')
  const { member, hot, proposerRoot } = await setup(t)
  await waitFor(() => member.status().version >= 1, { timeoutMs: 60_000, message: 'the member to apply the fleet\'s first version' })
  await writeFileAtomic(proposerRoot('config/app.json'), '{ "limit": 2 }\n')
  await waitFor(async () => ((await getStatus(hot)).body.sections.fleet as FleetStatus | undefined)?.member?.fleetVersion === 2, { timeoutMs: 60_000, message: 'web-1 at fleet version 2' })

  const { code, body } = await getStatus(hot)
  assert.equal(code, 200)
  // The kernel's own status is still there...
  assert.equal(body.version, member.status().version)
  assert.equal(body.runId, member.runId)
  assert.deepEqual(body.plugins, ['config', 'fleet', 'browser'])
  assert.deepEqual(body.sectionErrors, {})
  // ...and the fleet's, under the plugin's name.
  const fleetStatus = body.sections.fleet as FleetStatus
  assert.equal(fleetStatus.fleet, 'test')
  assert.equal(fleetStatus.role, 'member')
  assert.equal(fleetStatus.snapshot.current?.version, 2)
  assert.ok(fleetStatus.snapshot.epoch.length > 0)
  assert.equal(fleetStatus.snapshot.open, '')
  const web1 = fleetStatus.snapshot.members.find((m) => m.id === 'web-1')
  assert.ok(web1, JSON.stringify(fleetStatus.snapshot.members))
  assert.equal(web1.info?.version, 2)
  assert.deepEqual(web1.info?.labels, { canary: 'true' })
  assert.equal(web1.info?.state, 'ok')
  assert.ok(web1.expires > fleetStatus.snapshot.now, 'its lease runs')
  assert.deepEqual({ id: fleetStatus.member?.id, fleetVersion: fleetStatus.member?.fleetVersion, state: fleetStatus.member?.state, labels: fleetStatus.member?.labels }, { id: 'web-1', fleetVersion: 2, state: 'ok', labels: { canary: 'true' } })
  // The in-process report has the same section.
  const report = await member.statusReport()
  assert.equal((report.sections.fleet as FleetStatus).snapshot.current?.version, 2)
})

test('with Redis down, GET /status still answers: the instance\'s status, and the fleet as a section error', async (t) => {
  if (!hasRedis) return t.skip('redis-server not found')
  const { redis, member, hot } = await setup(t)
  await waitFor(() => member.status().version >= 1, { timeoutMs: 60_000, message: 'the member to apply the fleet\'s first version' })
  await redis.stop()
  const { code, body } = await getStatus(hot)
  assert.equal(code, 200)
  assert.equal(body.version, member.status().version)
  assert.equal(body.sections.fleet, undefined)
  assert.equal(body.sectionErrors.fleet?.plugin, 'fleet')
  assert.match(body.sectionErrors.fleet?.code ?? '', /^HR_/)
  assert.ok(body.sectionErrors.fleet?.hint, JSON.stringify(body.sectionErrors.fleet))
})
