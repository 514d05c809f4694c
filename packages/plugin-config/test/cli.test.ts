// The real `hotreload` CLI with this plugin in a user's hotreload.config.ts. Uses the built
// packages (dist), as an installed app would: `npm test` builds first.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { linkNodeModules, runCli, startCli } from '../../../test/helpers/cli.js'
import { makeTempProject, type TempProject } from '../../../test/helpers/index.js'

const CONFIG = `import { defineConfig } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import { Type } from '@sinclair/typebox'

export default defineConfig({
  debounceMs: 20,
  plugins: [
    config({
      env: 'test',
      schemas: {
        app: Type.Object({
          port: Type.Integer({ minimum: 1, maximum: 65535 }),
          db: Type.Object({ password: Type.String() }),
        }),
      },
    }),
  ],
})
`

async function project(files: Record<string, string>): Promise<TempProject> {
  const p = await makeTempProject({ 'hotreload.config.ts': CONFIG, ...files })
  await linkNodeModules(p.root)
  return p
}

test('hotreload check reports each schema problem as file:line:column with the key path, exit 1', async (t) => {
  const p = await project({ 'config/app.yaml': 'port: 99999\ndb:\n  password: 42\n' })
  t.after(() => p.cleanup())
  const bad = await runCli(['check'], p.root)
  assert.equal(bad.code, 1, bad.stderr)
  assert.match(bad.stdout, /config\/app\.yaml:1:7: config "app": port must be <= 65535 \(schema rule "maximum"\).* \[port\] \(config\)/)
  assert.match(bad.stdout, /config\/app\.yaml:3:13: config "app": db\.password must be string .*\[db\.password\]/)

  await p.write('config/app.yaml', 'port: 8080\ndb:\n  password: hunter2\n')
  const ok = await runCli(['check'], p.root)
  assert.equal(ok.code, 0, ok.stdout + ok.stderr)
})

test('watch --json prints config:changed with secrets redacted, while the diff still names the key', async (t) => {
  const p = await project({ 'config/app.toml': 'port = 8080\n[db]\npassword = "hunter2"\n' })
  t.after(() => p.cleanup())
  const cli = startCli(['--json'], p.root)
  t.after(() => cli.child.kill('SIGKILL'))
  const initial = await cli.waitForJson((e) => e.type === 'config:changed', 'initial config:changed')
  assert.deepEqual(initial['newValue'], { port: 8080, db: { password: '[redacted]' } })
  await cli.waitForJson((e) => e.type === 'ready', 'ready')

  await p.write('config/app.toml', 'port = 8081\n[db]\npassword = "correct horse"\n')
  const changed = await cli.waitForJson((e) => e.type === 'config:changed' && e['version'] === 2, 'config:changed v2')
  assert.deepEqual(changed['diff'], [
    { kind: 'changed', path: 'port', keys: ['port'], oldValue: 8080, newValue: 8081 },
    { kind: 'changed', path: 'db.password', keys: ['db', 'password'], oldValue: '[redacted]', newValue: '[redacted]' },
  ])
  const all = cli.stdout.join('\n')
  assert.ok(!all.includes('hunter2') && !all.includes('correct horse'), all)
  cli.child.kill('SIGTERM')
  assert.equal(await cli.exit(), 0)
})
