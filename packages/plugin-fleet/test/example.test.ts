import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { repoRoot } from '../../../test/helpers/cli.js'
import { hasBuild, hasRedis } from './harness.js'

// `npm start --workspace examples/fleet` runs this script; if the fleet stops doing what the
// example shows, this fails.
test('the fleet example: three members ACK and commit, then a stricter canary NACKs and nobody changes', { timeout: 240_000 }, async (t) => {
  if (!hasRedis) return t.skip('redis-server not found')
  if (!hasBuild) return t.skip('packages not built (npm run build): the example runs the built CLI')
  const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'examples/fleet/run-fleet.mjs')], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 200_000,
  })
  assert.match(stdout, /proposer started: the fleet committed its files as version 1/)
  for (const id of ['app-a1', 'app-b1', 'canary1']) assert.match(stdout, new RegExp(`${id}: ACK \\(version 2\\)\\n\\s+${id}: applied version 2`))
  assert.match(stdout, /✓ the fleet committed version 2/)
  assert.match(stdout, /members ready: app-a2 \(fleet version 2\), app-b2 \(fleet version 2\), canary2 \(fleet version 2\)/)
  assert.match(stdout, /canary2: NACK config\/app\.json:3:\d+ config "app": workers must be <= 24/)
  assert.match(stdout, /✗ aborted everywhere: the fleet aborted version 3: member canary2 rejected it: config\/app\.json:3:\d+/)
  assert.match(stdout, /every member keeps version 2/)
})
