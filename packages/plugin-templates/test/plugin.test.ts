import assert from 'node:assert/strict'
import { rename } from 'node:fs/promises'
import { test, type TestContext } from 'node:test'
import { OptionsError, createHotReload, writeFileAtomic, type HotReloadEvent, type Plugin } from '@hotreload/core'
import templatesPlugin, { customEngine, eta, handlebars, TemplateEngineMissingError, TemplatesOptionsError, type TemplatesPlugin } from '../src/index.js'
import { loadPeer } from '../src/engines/load.js'
import { makeTempProject, recordEvents, type TempProject } from '../../../test/helpers/index.js'
import { startInstance } from '../../../test/helpers/instance.js'

const SITE = {
  'templates/partials/nav.hbs': '<nav>{{#each links}}<a>{{this}}</a>{{/each}}</nav>',
  'templates/partials/header.hbs': '<header>{{> nav}}<h1>{{title}}</h1></header>',
  'templates/pages/home.hbs': '{{> header}}<p>home</p>',
  'templates/pages/about.hbs': '{{> header}}<p>about</p>',
  'templates/pages/plain.hbs': '<p>plain {{title}}</p>',
  'templates/notes.txt': 'not a template',
}

async function start(t: TestContext, files: Record<string, string>, templates: TemplatesPlugin, extra: Plugin[] = []) {
  const { project, reloader, recorder: rec, events: initial } = await startInstance(t, { files, plugins: [templates, ...extra] })
  return { project, reloader, rec, initial, save: (rel: string, content: string) => saveAtomically(project, rel, content) }
}

/**
 * Saves the way editors do (temp file + rename), so the watcher never sees the truncated
 * intermediate file a plain writeFile leaves for a moment, which is itself a valid template.
 */
function saveAtomically(project: TempProject, rel: string, content: string): Promise<void> {
  return writeFileAtomic(project.path(rel), content)
}

test('initial load compiles every template; editing a partial recompiles exactly its dependents and the output changes', async (t) => {
  const templates = templatesPlugin({ engine: handlebars() })
  const { save, rec, initial } = await start(t, SITE, templates)
  const first = initial.find((e) => e.type === 'template:updated')
  assert.ok(first && first.type === 'template:updated')
  assert.deepEqual(first.names, ['header', 'nav', 'pages/about', 'pages/home', 'pages/plain'])
  assert.deepEqual(templates.names(), ['header', 'nav', 'pages/about', 'pages/home', 'pages/plain'])
  assert.equal(templates.render('pages/home', { title: 'Hi', links: ['a'] }), '<header><nav><a>a</a></nav><h1>Hi</h1></header><p>home</p>')
  const plainBefore = templates.get('pages/plain')
  const compilationsBefore = templates.stats().compilations

  await save('templates/partials/nav.hbs', '<nav class="v2">{{#each links}}<b>{{this}}</b>{{/each}}</nav>')
  const updated = await rec.next('template:updated', (e) => e.paths.includes('templates/partials/nav.hbs'))
  assert.deepEqual(updated.names, ['header', 'nav', 'pages/about', 'pages/home'])
  assert.deepEqual(updated.causes, [{ path: 'templates/partials/nav.hbs', kind: 'modified', name: 'nav', dependents: ['header', 'pages/about', 'pages/home'] }])
  assert.equal(updated.plugin, 'templates')
  assert.equal(updated.engine, 'handlebars')
  assert.equal(updated.version, 2)
  assert.equal(templates.render('pages/home', { title: 'Hi', links: ['a'] }), '<header><nav class="v2"><b>a</b></nav><h1>Hi</h1></header><p>home</p>')
  assert.equal(templates.stats().compilations - compilationsBefore, 4)
  assert.equal(templates.get('pages/plain'), plainBefore, 'a template that does not use the partial was not recompiled')
})

test('a syntax error rejects the transaction with line and column, and the previous version keeps serving until it is fixed', async (t) => {
  const templates = templatesPlugin({ engine: handlebars() })
  const { save, rec } = await start(t, SITE, templates)
  const data = { title: 'Hi', links: ['a'] }
  const before = templates.render('pages/about', data)

  await save('templates/partials/header.hbs', '<header>\n  {{#if title}}<h1>{{title}}</h1>{{/each}}\n</header>')
  const rejected = await rec.next('rejected')
  assert.deepEqual(
    rejected.problems.map((p) => [p.plugin, p.code, p.path, p.line, p.column]),
    [['templates', 'HR_TEMPLATES_SYNTAX', 'templates/partials/header.hbs', 2, 6]],
  )
  assert.ok(rejected.problems[0]?.hint)
  assert.equal(templates.render('pages/about', data), before)

  await save('templates/partials/header.hbs', '<header><h1>{{title}}!</h1></header>')
  const updated = await rec.next('template:updated', (e) => e.paths.includes('templates/partials/header.hbs'))
  assert.deepEqual(updated.names, ['header', 'pages/about', 'pages/home'])
  assert.equal(templates.render('pages/about', data), '<header><h1>Hi!</h1></header><p>about</p>')
})

test('deleting a partial that is still used is rejected, naming the templates that use it; a missing partial is a problem too', async (t) => {
  const templates = templatesPlugin({ engine: handlebars() })
  const { project, save, rec } = await start(t, SITE, templates)
  await project.remove('templates/partials/nav.hbs')
  const rejected = await rec.next('rejected')
  assert.equal(rejected.problems.length, 1)
  assert.equal(rejected.problems[0]?.code, 'HR_TEMPLATES_PARTIAL_IN_USE')
  assert.equal(rejected.problems[0]?.path, 'templates/partials/nav.hbs')
  assert.match(rejected.problems[0]?.message ?? '', /still used by "header"/)
  assert.match(templates.render('pages/home', { links: ['x'] }), /<a>x<\/a>/)

  const since = rec.events.length
  await save('templates/pages/news.hbs', '<p>news</p>\n{{> sidebar}}')
  const second = await rec.next('rejected', (e) => e.problems.some((p) => p.path === 'templates/pages/news.hbs'), since)
  const missing = second.problems.find((p) => p.code === 'HR_TEMPLATES_MISSING_PARTIAL')
  assert.equal(missing?.line, 2)
  assert.match(missing?.message ?? '', /"pages\/news" uses "sidebar"/)
  assert.equal(templates.has('pages/news'), false)
})

test('when another plugin fails in the same transaction, the previous compiled set is restored', async (t) => {
  let failNext = false
  const failing: Plugin = {
    name: 'fails-on-apply',
    apply(kernel) {
      kernel.hooks.apply.tap('fails-on-apply', () => {
        if (failNext) throw new Error('disk full while applying')
      })
    },
  }
  const templates = templatesPlugin({ engine: handlebars() })
  const { save, rec } = await start(t, SITE, templates, [failing])
  const before = templates.render('pages/plain', { title: 'x' })
  const statsBefore = templates.stats()

  failNext = true
  await save('templates/pages/plain.hbs', '<p>CHANGED {{title}}</p>')
  const rolledBack = await rec.next('rolled-back')
  assert.match(rolledBack.error.message, /disk full/)
  assert.equal(templates.render('pages/plain', { title: 'x' }), before)
  assert.equal(templates.stats().compilations, statsBefore.compilations)
  assert.equal(rec.of('template:updated').length, 0, 'no template:updated for a rolled-back transaction')

  failNext = false
  await save('templates/pages/plain.hbs', '<p>CHANGED AGAIN {{title}}</p>')
  await rec.next('template:updated', (e) => e.names.includes('pages/plain'))
  assert.equal(templates.render('pages/plain', { title: 'x' }), '<p>CHANGED AGAIN x</p>')
})

test('Eta: editing a layout recompiles the pages that use it; options pick the directory', async (t) => {
  const templates = templatesPlugin({ engine: eta(), dir: 'views', name: 'views' })
  const { save, rec } = await start(
    t,
    {
      'views/layouts/main.eta': '<main><%~ it.body %></main>',
      'views/partials/card.eta': '<b><%= it.t %></b>',
      'views/pages/home.eta': '<% layout("layouts/main") %><%~ include("card", { t: it.title }) %>',
      'views/pages/solo.eta': '<i>solo</i>',
    },
    templates,
  )
  assert.equal(templates.render('pages/home', { title: 'A<B' }), '<main><b>A&lt;B</b></main>')
  await save('views/layouts/main.eta', '<div class="v2"><%~ it.body %></div>')
  const updated = await rec.next('template:updated', (e) => e.paths.includes('views/layouts/main.eta'))
  assert.deepEqual(updated.names, ['layouts/main', 'pages/home'])
  assert.equal(updated.plugin, 'views')
  assert.equal(templates.render('pages/home', { title: 'A' }), '<div class="v2"><b>A</b></div>')
})

test('deleting an unused template takes it out of service and reports it', async (t) => {
  const templates = templatesPlugin({ engine: handlebars() })
  const { project, rec } = await start(t, SITE, templates)
  await project.remove('templates/pages/plain.hbs')
  const updated = await rec.next('template:updated', (e) => e.removed.length > 0)
  assert.deepEqual(updated.removed, ['pages/plain'])
  assert.deepEqual(updated.names, [])
  assert.equal(templates.has('pages/plain'), false)
})

test('a missing engine package fails createHotReload with the install command; bad options fail the factory', async (t) => {
  const project = await makeTempProject({ 'templates/a.nope': 'x' })
  t.after(() => project.cleanup())
  const missing = 'hotreload-missing-engine-package'
  const templates = templatesPlugin({ engine: { name: 'nope', extensions: ['.nope'], load: () => loadPeer(missing, 'Nope', () => import(missing)) } })
  await assert.rejects(createHotReload({ root: project.root, watch: false, plugins: [templates] }), (e: unknown) => e instanceof TemplateEngineMissingError && e.hint === `Run \`npm install ${missing}\` in your project.`)
  assert.throws(() => templatesPlugin({} as never), TemplatesOptionsError)
  assert.throws(() => templatesPlugin({ engine: { name: 'x', extensions: ['hbs'], load: () => handlebars().load() } }), /start with a dot/)
  // A misspelled option was accepted silently before (kernel v2 issue): every mistake is named at once.
  assert.throws(
    () => templatesPlugin({ engine: handlebars(), dirr: 'views', partialDir: 'p' } as never),
    (e: unknown) => e instanceof OptionsError && /unknown option "dirr" \(did you mean "dir"\?\)/.test(e.message) && /unknown option "partialDir" \(did you mean "partialsDir"\?\)/.test(e.message),
  )
})

test('one reload of several files is one transaction and one event; a dry run changes nothing', async (t) => {
  const templates = templatesPlugin({ engine: handlebars() })
  const project = await makeTempProject(SITE)
  const reloader = await createHotReload({ root: project.root, watch: false, plugins: [templates] })
  t.after(async () => {
    await reloader.close()
    await project.cleanup()
  })
  const rec = recordEvents<HotReloadEvent>(reloader)
  await saveAtomically(project, 'templates/partials/nav.hbs', '<nav>N2</nav>')
  await saveAtomically(project, 'templates/pages/plain.hbs', '<p>P2</p>')

  const dry = await reloader.reload({ dryRun: true })
  assert.equal(dry.status, 'dry-run')
  assert.equal(templates.render('pages/plain', {}), '<p>plain </p>')

  const record = await reloader.reload()
  assert.equal(record.status, 'applied')
  const updates = rec.of('template:updated')
  assert.equal(updates.length, 1)
  assert.deepEqual(updates[0]?.names, ['header', 'nav', 'pages/about', 'pages/home', 'pages/plain'])
  assert.deepEqual(
    updates[0]?.causes.map((c) => [c.path, c.dependents]),
    [
      ['templates/pages/plain.hbs', []],
      ['templates/partials/nav.hbs', ['header', 'pages/about', 'pages/home']],
    ],
  )
  assert.equal(templates.render('pages/plain', {}), '<p>P2</p>')
  assert.match(templates.render('pages/home', {}), /<nav>N2<\/nav>/)

  // The hot path reads memory only: with the files gone (and no watcher) rendering is unchanged,
  // and a thousand renders compile nothing.
  await project.remove('templates')
  const compilations = templates.stats().compilations
  for (let i = 0; i < 1000; i++) templates.render('pages/home', { title: String(i) })
  assert.match(templates.render('pages/home', { title: 'gone' }), /<h1>gone<\/h1>/)
  assert.equal(templates.stats().compilations, compilations)
  assert.ok(templates.stats().renders >= 1003)
})

test('renaming a page on disk moves it to its new name', async (t) => {
  const templates = templatesPlugin({ engine: handlebars() })
  const { project, rec } = await start(t, SITE, templates)
  await rename(project.path('templates/pages/plain.hbs'), project.path('templates/pages/simple.hbs'))
  // One batch normally (a `renamed` change); under load the unlink and the add may land in two.
  await rec.next('template:updated', (e) => e.names.includes('pages/simple'))
  await rec.next('template:updated', (e) => e.removed.includes('pages/plain'))
  assert.deepEqual(
    rec.of('template:updated').flatMap((e) => e.names),
    ['pages/simple'],
    'nothing but the moved page was compiled',
  )
  assert.equal(templates.has('pages/plain'), false)
  assert.equal(templates.render('pages/simple', { title: 'x' }), '<p>plain x</p>')
})

test('a custom engine works through the plugin, with its own dependencies', async (t) => {
  // Templates are JSON arrays of text and {"use": name} parts: a stand-in for any engine.
  type Part = string | { use: string }
  const parts = (source: string) => JSON.parse(source) as Part[]
  const templates = templatesPlugin({
    engine: customEngine({
      name: 'json-parts',
      extensions: ['.json'],
      compile: (source, { template }) => {
        const rendered = parts(source).map((p) => (typeof p === 'string' ? () => p : template(p.use)))
        return (data) => rendered.map((r) => r(data)).join('')
      },
      dependencies: (source) => parts(source).flatMap((p) => (typeof p === 'string' ? [] : [p.use])),
    }),
  })
  const { save, rec } = await start(t, { 'templates/partials/b.json': '["B"]', 'templates/a.json': '["A", {"use": "b"}]', 'templates/c.json': '["C"]' }, templates)
  assert.equal(templates.render('a'), 'AB')
  await save('templates/partials/b.json', '["B2"]')
  const updated = await rec.next('template:updated', (e) => e.paths.includes('templates/partials/b.json'))
  assert.deepEqual(updated.names, ['a', 'b'])
  assert.equal(updated.engine, 'json-parts')
  assert.equal(templates.render('a'), 'AB2')
  await save('templates/c.json', '["C", ')
  const rejected = await rec.next('rejected')
  assert.equal(rejected.problems[0]?.code, 'HR_TEMPLATES_COMPILE')
  assert.equal(templates.render('c'), 'C')
})

test('a broken template at start rejects the initial load; fixing it loads every template', async (t) => {
  const templates = templatesPlugin({ engine: handlebars() })
  const { save, rec, initial } = await start(t, { ...SITE, 'templates/partials/nav.hbs': '<nav>{{#each links}}</nav>' }, templates)
  const rejected = initial.find((e) => e.type === 'rejected')
  assert.ok(rejected && rejected.type === 'rejected')
  assert.deepEqual(rejected.problems.map((p) => [p.code, p.path]), [['HR_TEMPLATES_SYNTAX', 'templates/partials/nav.hbs']])
  assert.deepEqual(templates.names(), [])

  await save('templates/partials/nav.hbs', '<nav>ok</nav>')
  await rec.next('template:updated')
  assert.deepEqual(templates.names(), ['header', 'nav', 'pages/about', 'pages/home', 'pages/plain'])
  assert.match(templates.render('pages/home', { title: 'x' }), /<nav>ok<\/nav>/)
})
