import assert from 'node:assert/strict'
import { test } from 'node:test'
import Handlebars from 'handlebars'
import { handlebars, TemplateSyntaxError, type TemplateFile } from '../src/index.js'

const file = (name: string, partial = false): TemplateFile => ({
  name,
  path: `templates/${partial ? 'partials/' : ''}${name}.hbs`,
  absolutePath: `/app/templates/${partial ? 'partials/' : ''}${name}.hbs`,
  partial,
})

test('dependencies come from the AST: partials, partial blocks, string names; @partial-block and inline partials are not files', async () => {
  const compiler = await handlebars().load()
  const source = [
    '{{#> layouts/main title="x"}}',
    '  {{> header}} {{> "nav bar"}}',
    '  {{#*inline "sidebar"}}side{{/inline}}{{> sidebar}}',
    '  {{#each items}}{{> item this}}{{/each}}',
    '{{/layouts/main}}',
    '{{> @partial-block}}',
    '<p>{{!-- {{> commented}} --}} {{ "{{> not-a-partial}}" }}</p>',
  ].join('\n')
  const analysis = compiler.analyze(source, file('pages/home'))
  assert.deepEqual(
    analysis.dependencies.map((d) => [d.name, d.optional, d.line, d.column]),
    [
      ['layouts/main', true, 1, 1],
      ['header', false, 2, 3],
      ['nav bar', false, 2, 16],
      ['item', false, 4, 18],
    ],
  )
  assert.equal(analysis.dynamic, false)
  assert.deepEqual(analysis.defines, ['sidebar'])
})

test('a partial chosen at render time marks the template dynamic', async () => {
  const compiler = await handlebars().load()
  const analysis = compiler.analyze('{{> (lookup . "which") }}', file('pages/dyn'))
  assert.equal(analysis.dynamic, true)
  assert.deepEqual(analysis.dependencies, [])
})

test('syntax errors surface in analyze with line and column, including ones Handlebars would only hit on first render', async () => {
  const compiler = await handlebars().load()
  const cases: [string, number, number, RegExp][] = [
    ['<p>\n{{#if ok}}\n  {{name}\n{{/if}}', 3, 9, /Parse error: Expecting/],
    ['{{#if ok}}x{{/each}}', 1, 4, /if doesn't match each/],
    ['line one\nline two {{{raw}}\n', 2, 16, /Parse error/],
  ]
  for (const [source, line, column, message] of cases) {
    assert.throws(
      () => compiler.analyze(source, file('pages/bad')),
      (e: unknown) => {
        assert.ok(e instanceof TemplateSyntaxError, String(e))
        assert.equal(e.code, 'HR_TEMPLATES_SYNTAX')
        assert.equal(e.path, 'templates/pages/bad.hbs')
        assert.equal(e.line, line, `line of ${JSON.stringify(source)}`)
        assert.equal(e.column, column, `column of ${JSON.stringify(source)}`)
        assert.match(e.message, message)
        assert.ok(e.hint)
        return true
      },
    )
  }
  // Handlebars' own compile() accepts the broken source and only throws when first called.
  const lazy = Handlebars.create().compile('{{#if ok}}x{{/each}}')
  assert.throws(() => lazy({}), /doesn't match/)
})

test('a generation links templates in its own environment: partials and helpers never reach the global Handlebars', async () => {
  const compiler = await handlebars({ helpers: { shout: (s: unknown) => String(s).toUpperCase() } }).load()
  const header = compiler.analyze('<h1>{{shout title}}</h1>', file('header', true))
  const home = compiler.analyze('{{> header}}<p>{{body}}</p>', file('pages/home'))
  let renders = new Map<string, (data?: unknown) => string>()
  const generation = compiler.createGeneration((name) => renders.get(name))
  const headerRender = generation.link(file('header', true), header, '')
  const homeRender = generation.link(file('pages/home'), home, '')
  renders = new Map([['header', headerRender], ['pages/home', homeRender]])
  generation.seal(new Map([['header', { analysis: header, render: headerRender }], ['pages/home', { analysis: home, render: homeRender }]]))
  assert.equal(homeRender({ title: 'hi', body: 'b' }), '<h1>HI</h1><p>b</p>')
  assert.equal(Handlebars.partials['header'], undefined)
  assert.equal(Handlebars.helpers['shout'], undefined)
})

test('compile options reach precompile: strict mode makes a missing field an error at render', async () => {
  const compiler = await handlebars({ compileOptions: { strict: true } }).load()
  const analysis = compiler.analyze('<p>{{user.name}}</p>', file('pages/strict'))
  const render = compiler.createGeneration(() => undefined).link(file('pages/strict'), analysis, '')
  assert.equal(render({ user: { name: 'Ada' } }), '<p>Ada</p>')
  assert.throws(() => render({}), /"name" not defined/)
})

test('data variables (@index, @root, @first) work with default options', async () => {
  const compiler = await handlebars().load()
  const source = '{{#each items}}{{#if @first}}[{{/if}}{{@index}}:{{this}}:{{@root.title}} {{/each}}'
  const analysis = compiler.analyze(source, file('pages/data'))
  const render = compiler.createGeneration(() => undefined).link(file('pages/data'), analysis, source)
  assert.equal(render({ title: 'T', items: ['a', 'b'] }), '[0:a:T 1:b:T ')
})

test('output is byte for byte what Handlebars.compile gives, whitespace control included', async () => {
  const compiler = await handlebars().load()
  const sources = [
    '<ul>\n  {{#each items}}\n    <li>{{this}}</li>\n  {{/each}}\n</ul>\n',
    'a  {{~#if x~}}  b  {{~/if~}}  c',
    '  {{!-- note --}}\n  \n{{#each items}}\n{{this}}\n{{/each}}\n\n',
    '{{#each items}}\n  {{#if this}}\n\n    {{this}}\n\n  {{/if}}\n{{else}}\n  none\n{{/each}}',
  ]
  const data = { items: ['a', '', '<b>'], x: true }
  for (const source of sources) {
    const render = compiler.createGeneration(() => undefined).link(file('pages/ws'), compiler.analyze(source, file('pages/ws')), source)
    assert.equal(render(data), Handlebars.create().compile(source)(data), JSON.stringify(source))
  }
})
