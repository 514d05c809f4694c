import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { repoRoot } from './helpers/cli.js'

// `npm start` runs this script; if a plugin stops doing what the demo shows, this fails.
test('the demo walks through every plugin and exits cleanly', { timeout: 120_000 }, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'examples/demo/run-demo.mjs')], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 100_000,
  })
  assert.match(stdout, /ready: 9 files watched, version 1/)
  assert.match(stdout, /"apiToken":"\[redacted\]"/)
  assert.match(stdout, /config "app" changed: ~ greeting: "Hello" -> "Welcome back"/)
  assert.match(stdout, /config\/app\.yaml:2:\d+ config "app": greeting must be string/)
  assert.match(stdout, /config\/app\.yaml:4:\d+ restart needed: .*server\.port/)
  assert.match(stdout, /templates recompiled: header, pages\/about, pages\/home\n/)
  assert.match(stdout, /asset css\/app\.css: \/assets\/css\/app\.[0-9a-f]{8}\.css → \/assets\/css\/app\.[0-9a-f]{8}\.css/)
  assert.match(stdout, /backups of config\/app\.yaml \(each is the content the file had before that version applied\): before version \d+/)
  assert.match(stdout, /restore of the content before version \d+: applied; greeting is "Hello"/)
  // The header comes before the initial load's lines.
  assert.ok(stdout.indexOf('▶ hotreload is watching') < stdout.indexOf('ready: 9 files watched'), 'header before the ready line')
  assert.match(stdout, /Done: version 6, 8 transactions \(6 applied, 2 rejected\)/)
})
