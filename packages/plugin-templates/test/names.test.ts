// Issue 12: template names that are also Object.prototype's own names (`__proto__`,
// `constructor`, `prototype`) work as templates and as partials, layouts and includes, in every
// engine; rendering a name that is not loaded never reaches an inherited property.
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { createHotReload, type HotReload } from '@hotreload/core'
import { makeTempProject } from '../../../test/helpers/index.js'
import { eta, handlebars, templatesPlugin, TemplateNotFoundError, type TemplatesPlugin } from '../src/index.js'

const NAMES = ['__proto__', 'constructor', 'prototype']

async function start(t: TestContext, files: Record<string, string>, templates: TemplatesPlugin): Promise<HotReload> {
  const project = await makeTempProject(files)
  const running: { reloader?: HotReload } = {}
  t.after(async () => {
    await running.reloader?.close()
    await project.cleanup()
  })
  running.reloader = await createHotReload({ root: project.root, watch: false, plugins: [templates] })
  return running.reloader
}

test('Handlebars: pages and partials named __proto__, constructor and prototype render, and unknown names stay unknown', async (t) => {
  const files: Record<string, string> = {}
  for (const name of NAMES) {
    files[`templates/pages/${name}.hbs`] = `page ${name}: {{> ${name}}}`
    files[`templates/partials/${name}.hbs`] = `<${name} {{x}}>`
  }
  files['templates/all.hbs'] = NAMES.map((n) => `{{> ${n}}}`).join('')
  const templates = templatesPlugin({ engine: handlebars() })
  await start(t, files, templates)
  for (const name of NAMES) {
    assert.ok(templates.has(name) && templates.has(`pages/${name}`), name)
    assert.equal(templates.render(name, { x: 0 }), `<${name} 0>`)
    assert.equal(templates.render(`pages/${name}`, { x: 1 }), `page ${name}: <${name} 1>`)
  }
  assert.equal(templates.render('all', { x: 2 }), '<__proto__ 2><constructor 2><prototype 2>')
  assert.equal(templates.has('toString'), false)
  assert.throws(() => templates.render('toString'), TemplateNotFoundError)
  assert.throws(() => templates.get('hasOwnProperty'), TemplateNotFoundError)
})

test('Eta: templates named __proto__, constructor and prototype render and are included by name', async (t) => {
  const files: Record<string, string> = {}
  for (const name of NAMES) files[`templates/${name}.eta`] = `<${name}><%= it.x %>`
  files['templates/all.eta'] = NAMES.map((n) => `<%~ include("${n}", it) %>`).join('')
  const templates = templatesPlugin({ engine: eta() })
  await start(t, files, templates)
  for (const name of NAMES) assert.equal(templates.render(name, { x: 2 }), `<${name}>2`)
  assert.equal(templates.render('all', { x: 3 }), '<__proto__>3<constructor>3<prototype>3')
  assert.throws(() => templates.render('valueOf'), TemplateNotFoundError)
})

test('Eta: an include picked at render time finds no inherited name', async (t) => {
  const templates = templatesPlugin({ engine: eta() })
  await start(t, { 'templates/pick.eta': '<%~ include(it.name, it) %>', 'templates/card.eta': 'card' }, templates)
  assert.equal(templates.render('pick', { name: 'card' }), 'card')
  for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
    assert.throws(() => templates.render('pick', { name }), (e: unknown) => e instanceof Error && /Failed to get template/.test(String((e as Error).message)), name)
  }
})
