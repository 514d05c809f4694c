import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eta, TemplateSyntaxError, type TemplateFile, type TemplateRender } from '../src/index.js'

const file = (name: string): TemplateFile => ({ name, path: `templates/${name}.eta`, absolutePath: `/app/templates/${name}.eta`, partial: false })

test('dependencies: literal include/layout calls inside tags, found through Eta\'s own parse', async () => {
  const compiler = await eta().load()
  const source = [
    '<% layout("layouts/main", { title: "Home" }) %>',
    'text outside tags: include("not-this")',
    '<%~ include(\'header\', it) %>',
    '<%~ include(`@footer`) %> <% it.layout("x"); myinclude("y") %>',
  ].join('\n')
  const analysis = compiler.analyze(source, file('pages/home'))
  assert.deepEqual(
    analysis.dependencies.map((d) => [d.name, d.kind, d.line]),
    [
      ['layouts/main', 'layout', 1],
      ['header', 'include', 3],
      ['footer', 'include', 4],
    ],
  )
  assert.equal(analysis.dynamic, false)
})

test('a computed include name, or include used as a value, marks the template dynamic instead of guessing', async () => {
  const compiler = await eta().load()
  assert.equal(compiler.analyze('<%~ include(it.partial) %>', file('a')).dynamic, true)
  assert.equal(compiler.analyze('<%~ include(`x/${it.n}`) %>', file('b')).dynamic, true)
  assert.equal(compiler.analyze('<% const inc = include %><%~ inc("x") %>', file('c')).dynamic, true)
  assert.equal(compiler.analyze('<%= it.name %>', file('d')).dynamic, false)
})

test('parse errors carry Eta\'s line and column; JavaScript errors inside a tag carry the tag\'s line', async () => {
  const compiler = await eta().load()
  assert.throws(
    () => compiler.analyze('ok\nb <%= it.x ', file('pages/a')),
    (e: unknown) => e instanceof TemplateSyntaxError && e.line === 2 && e.column === 3 && /unclosed tag/.test(e.message) && e.path === 'templates/pages/a.eta',
  )
  assert.throws(
    () => compiler.analyze('one\ntwo\n<% if (it.x { %>\nthree<% } %>', file('pages/b')),
    (e: unknown) => e instanceof TemplateSyntaxError && e.line === 3 && e.column === undefined && /JavaScript syntax error/.test(e.message),
  )
})

test('includes and layouts render from the generation, by name or with Eta\'s "@" prefix, without reading files', async () => {
  const compiler = await eta().load()
  const sources: Record<string, string> = {
    'layouts/main': '<main><%~ it.body %></main>',
    header: '<h1><%= it.title %></h1>',
    'pages/home': '<% layout("layouts/main") %><%~ include("@header", { title: it.title }) %><p><%= it.text %></p>',
  }
  let renders = new Map<string, TemplateRender>()
  const generation = compiler.createGeneration((n) => renders.get(n))
  const all = new Map<string, { analysis: ReturnType<typeof compiler.analyze>; render: TemplateRender }>()
  for (const [name, source] of Object.entries(sources)) {
    const analysis = compiler.analyze(source, file(name))
    all.set(name, { analysis, render: generation.link(file(name), analysis, source) })
  }
  renders = new Map([...all].map(([n, u]) => [n, u.render]))
  generation.seal(all)
  assert.equal(renders.get('pages/home')?.({ title: 'A & B', text: 'hi' }), '<main><h1>A &amp; B</h1><p>hi</p></main>')
})

test('Eta configuration passes through: custom tags and no auto-escaping', async () => {
  const compiler = await eta({ config: { tags: ['{{', '}}'], autoEscape: false } }).load()
  const analysis = compiler.analyze('<p>{{= it.html }}</p>{{~ include("x") }}', file('pages/raw'))
  assert.deepEqual(analysis.dependencies.map((d) => d.name), ['x'])
  const render = compiler.createGeneration(() => undefined).link(file('pages/raw'), compiler.analyze('<p>{{= it.html }}</p>', file('pages/raw')), '')
  assert.equal(render({ html: '<b>' }), '<p><b></p>')
})

test('in debug mode a runtime error names the file and the template line', async () => {
  const compiler = await eta({ config: { debug: true } }).load()
  const source = 'line one\n<%= it.user.name %>'
  const render = compiler.createGeneration(() => undefined).link(file('pages/dbg'), compiler.analyze(source, file('pages/dbg')), source)
  assert.throws(() => render({}), (e: unknown) => e instanceof Error && e.message.includes('/app/templates/pages/dbg.eta:2'))
})
