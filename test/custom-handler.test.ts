import assert from 'node:assert/strict'
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { linkNodeModules, repoRoot, startCli } from './helpers/cli.js'
import { makeTempProject } from './helpers/index.js'

// The example handler package, used from a hotreload.config.ts exactly as its README says.
test('the routes handler example validates, applies and rejects through the real CLI', async (t) => {
  const p = await makeTempProject({})
  t.after(() => p.cleanup())
  await cp(join(repoRoot, 'examples/custom-handler/project'), p.root, { recursive: true })
  await linkNodeModules(p.root)

  const cli = startCli(['--json'], p.root)
  t.after(() => cli.child.kill('SIGKILL'))
  await cli.waitForJson((e) => e.type === 'ready', 'ready')
  const initial = cli.json().find((e) => e.type === 'applied')
  assert.deepEqual(initial?.plugins, ['routes'])

  await p.save('routes/extra.json', '{ "/a": "/b" }')
  const created = await cli.waitForJson((e) => e.type === 'applied' && e.version === 2, 'applied v2')
  assert.deepEqual(created.changes, [{ kind: 'created', path: 'routes/extra.json' }])

  await p.save('routes/extra.json', '{ "no-slash": "/b", "/x": 42 }')
  const rejected = await cli.waitForJson((e) => e.type === 'rejected', 'rejected')
  const problems = rejected.problems as Array<{ message: string; path: string }>
  assert.deepEqual(problems.map((x) => x.message), ['route "no-slash" must start with "/"', 'target of "/x" must be a path or an http(s) URL'])
  assert.ok(problems.every((x) => x.path === 'routes/extra.json'))

  cli.child.kill('SIGTERM')
  assert.equal(await cli.exit(), 0)
})

test('the routes handler puts the previous table back when a later plugin fails', async (t) => {
  const { createHotReload } = await import('@hotreload/core')
  const { routesHandler } = await import('hotreload-routes-handler')
  const p = await makeTempProject({ 'routes/main.json': '{ "/a": "/one" }' })
  t.after(() => p.cleanup())
  const routes = routesHandler()
  let fail = false
  const reloader = await createHotReload({
    root: p.root,
    watch: false,
    plugins: [
      routes.plugin,
      { name: 'after', apply: (k) => k.hooks.apply.tap('after', () => { if (fail) throw new Error('later step failed') }) },
    ],
  })
  t.after(() => reloader.close())
  assert.equal(routes.lookup('/a'), '/one')
  fail = true
  await p.write('routes/main.json', '{ "/a": "/two" }')
  const record = await reloader.reload({ paths: ['routes/main.json'] })
  assert.equal(record.status, 'rolled-back')
  assert.equal(routes.lookup('/a'), '/one')
  fail = false
  assert.equal((await reloader.reload({ paths: ['routes/main.json'] })).status, 'applied')
  assert.equal(routes.lookup('/a'), '/two')
})
