// Issue 12 through the real `hotreload` CLI (built packages, a child process, real files):
// templates named __proto__, constructor and prototype load like any other, and the problems
// of a name conflict and of a deleted partial still in use name their file.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { linkNodeModules, runCli, startCli } from '../../../test/helpers/cli.js'
import { makeTempProject, type TempProject } from '../../../test/helpers/index.js'

const CONFIG = `import { defineConfig } from '@hotreload/core'
import { handlebars, templatesPlugin } from '@hotreload/plugin-templates'

export default defineConfig({
  debounceMs: 20,
  plugins: [templatesPlugin({ engine: handlebars() })],
})
`

async function project(files: Record<string, string>): Promise<TempProject> {
  const p = await makeTempProject({ 'hotreload.config.ts': CONFIG, ...files })
  await linkNodeModules(p.root)
  return p
}

interface Problem {
  code: string
  path?: string
  message: string
  hint?: string
}

test('templates named __proto__, constructor and prototype load; a conflict and a deleted partial in use name their file', async (t) => {
  const p = await project({
    'templates/__proto__.hbs': '{{> constructor}} {{> prototype}}',
    'templates/pages/prototype.hbs': '<p>{{> prototype}}</p>',
    'templates/partials/constructor.hbs': '<c/>',
    'templates/partials/prototype.hbs': '<p/>',
  })
  t.after(() => p.cleanup())
  const cli = startCli(['--json'], p.root)
  t.after(async () => {
    cli.child.kill('SIGKILL')
    await cli.exit()
  })
  const initial = await cli.waitForJson((e) => e.type === 'template:updated', 'initial template:updated')
  assert.deepEqual(initial['names'], ['__proto__', 'constructor', 'pages/prototype', 'prototype'])
  const ready = await cli.waitForJson((e) => e.type === 'ready', 'ready')

  // A top-level template with a partial's name.
  await p.save('templates/constructor.hbs', 'top')
  const conflict = await cli.waitForJson((e) => e.type === 'rejected', 'rejected for the conflict')
  const [clash, ...more] = conflict['problems'] as Problem[]
  assert.equal(more.length, 0)
  assert.equal(clash?.code, 'HR_TEMPLATES_NAME_CONFLICT')
  assert.equal(clash?.path, 'templates/constructor.hbs')
  assert.match(clash?.message ?? '', /templates\/constructor\.hbs and templates\/partials\/constructor\.hbs both define the template "constructor"/)
  await p.remove('templates/constructor.hbs')

  // The partial `prototype` is still used by two templates.
  await p.remove('templates/partials/prototype.hbs')
  const inUse = await cli.waitForJson(
    (e) => e.type === 'rejected' && (e['problems'] as Problem[]).some((x) => x.code === 'HR_TEMPLATES_PARTIAL_IN_USE'),
    'rejected for the deleted partial',
  )
  const [deleted] = (inUse['problems'] as Problem[]).filter((x) => x.code === 'HR_TEMPLATES_PARTIAL_IN_USE')
  assert.equal(deleted?.path, 'templates/partials/prototype.hbs')
  assert.match(deleted?.message ?? '', /"prototype" was deleted but is still used by "__proto__", "pages\/prototype"/)
  assert.ok(deleted?.hint)
  assert.equal(inUse['version'], ready['version'])
})

test('hotreload check names both files of a conflict found at start', async (t) => {
  const p = await project({ 'templates/__proto__.hbs': 'a', 'templates/partials/__proto__.hbs': 'b' })
  t.after(() => p.cleanup())
  const checked = await runCli(['check'], p.root)
  assert.equal(checked.code, 1, checked.stdout + checked.stderr)
  assert.match(checked.stdout, /templates\/(partials\/)?__proto__\.hbs: templates\/(partials\/)?__proto__\.hbs and templates\/(partials\/)?__proto__\.hbs both define the template "__proto__"/)
})
