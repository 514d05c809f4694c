import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildGeneration, EMPTY_GENERATION, type Generation, type TemplateChange } from '../src/build.js'
import { templateFileOf, type NamingRules } from '../src/naming.js'
import { customEngine, eta, handlebars, type EngineCompiler } from '../src/index.js'

const rules: NamingRules = { dir: 'templates', partialsDir: 'partials', extensions: ['.hbs'] }

function add(path: string, source: string, kind: 'created' | 'modified' = 'created', r: NamingRules = rules): TemplateChange {
  const file = templateFileOf(path, `/app/${path}`, r)
  assert.ok(file, path)
  return { kind, path, added: { file, source } }
}
const remove = (path: string): TemplateChange => ({ kind: 'deleted', path, removedPath: path })

/** A site: two layouts levels, a partial used by two pages, one self-contained page. */
const SITE: Record<string, string> = {
  'templates/partials/nav.hbs': '<nav>{{#each links}}<a>{{this}}</a>{{/each}}</nav>',
  'templates/partials/header.hbs': '<header>{{> nav}}<h1>{{title}}</h1></header>',
  'templates/partials/footer.hbs': '<footer>v1</footer>',
  'templates/pages/home.hbs': '{{> header}}<p>home</p>{{> footer}}',
  'templates/pages/about.hbs': '{{> header}}<p>about</p>',
  'templates/pages/plain.hbs': '<p>plain {{title}}</p>',
}

async function site(compiler?: EngineCompiler): Promise<{ compiler: EngineCompiler; generation: Generation }> {
  const c = compiler ?? (await handlebars().load())
  const result = buildGeneration(EMPTY_GENERATION, Object.entries(SITE).map(([p, s]) => add(p, s)), c, rules)
  assert.deepEqual(result.problems, [])
  assert.ok(result.generation)
  return { compiler: c, generation: result.generation }
}

test('the initial build compiles everything and names partials without their directory', async () => {
  const { generation } = await site()
  assert.deepEqual([...generation.renders.keys()].sort(), ['footer', 'header', 'nav', 'pages/about', 'pages/home', 'pages/plain'])
  assert.equal(generation.renders.get('pages/home')?.({ title: 'T', links: ['x'] }), '<header><nav><a>x</a></nav><h1>T</h1></header><p>home</p><footer>v1</footer>')
})

test('a partial change recompiles exactly its transitive dependents, reports them, and leaves the rest untouched', async () => {
  const { compiler, generation } = await site()
  const result = buildGeneration(generation, [add('templates/partials/nav.hbs', '<nav>NEW</nav>', 'modified')], compiler, rules)
  assert.deepEqual(result.problems, [])
  assert.deepEqual(result.compiled, ['header', 'nav', 'pages/about', 'pages/home'])
  assert.deepEqual(result.causes, [{ path: 'templates/partials/nav.hbs', kind: 'modified', name: 'nav', dependents: ['header', 'pages/about', 'pages/home'] }])
  const next = result.generation
  assert.ok(next)
  // Untouched templates keep the very same compiled function.
  assert.equal(next.renders.get('pages/plain'), generation.renders.get('pages/plain'))
  assert.equal(next.renders.get('footer'), generation.renders.get('footer'))
  assert.notEqual(next.renders.get('pages/home'), generation.renders.get('pages/home'))
  assert.match(next.renders.get('pages/about')?.({ title: 'T' }) ?? '', /<nav>NEW<\/nav>/)
  // The previous generation still renders the previous partial: nothing was mutated in place.
  assert.match(generation.renders.get('pages/about')?.({ title: 'T', links: ['x'] }) ?? '', /<a>x<\/a>/)
})

test('a page change recompiles only that page', async () => {
  const { compiler, generation } = await site()
  const result = buildGeneration(generation, [add('templates/pages/plain.hbs', '<p>changed</p>', 'modified')], compiler, rules)
  assert.deepEqual(result.compiled, ['pages/plain'])
  assert.deepEqual(result.causes[0]?.dependents, [])
})

test('every syntax error and every missing partial in a batch is reported, with positions', async () => {
  const { compiler, generation } = await site()
  const result = buildGeneration(
    generation,
    [
      add('templates/pages/broken.hbs', '<p>\n{{#if x}}oops{{/each}}'),
      add('templates/pages/news.hbs', '<p>news</p>\n  {{> sidebar}}'),
      add('templates/pages/fallback.hbs', '{{#> maybe}}fallback content{{/maybe}}'),
    ],
    compiler,
    rules,
  )
  assert.equal(result.generation, undefined)
  const summary = result.problems.map((p) => [p.code, p.path, p.line, p.column])
  assert.deepEqual(summary, [
    ['HR_TEMPLATES_SYNTAX', 'templates/pages/broken.hbs', 2, 4],
    ['HR_TEMPLATES_MISSING_PARTIAL', 'templates/pages/news.hbs', 2, 3],
  ])
  assert.match(result.problems[1]?.message ?? '', /Template "pages\/news" uses "sidebar", which no template file provides/)
  assert.match(result.problems[1]?.hint ?? '', /Create templates\/partials\/sidebar\.hbs/)
})

test('deleting a partial still in use is one problem naming every template that uses it', async () => {
  const { compiler, generation } = await site()
  const result = buildGeneration(generation, [remove('templates/partials/header.hbs')], compiler, rules)
  assert.equal(result.generation, undefined)
  assert.equal(result.problems.length, 1)
  const [problem] = result.problems
  assert.equal(problem?.code, 'HR_TEMPLATES_PARTIAL_IN_USE')
  assert.equal(problem?.path, 'templates/partials/header.hbs')
  assert.match(problem?.message ?? '', /"header" was deleted but is still used by "pages\/about", "pages\/home"/)
})

test('deleting a partial together with its last use is fine and reported as removed', async () => {
  const { compiler, generation } = await site()
  const result = buildGeneration(
    generation,
    [remove('templates/partials/footer.hbs'), add('templates/pages/home.hbs', '{{> header}}<p>home</p>', 'modified')],
    compiler,
    rules,
  )
  assert.deepEqual(result.problems, [])
  assert.deepEqual(result.removed, ['footer'])
  assert.deepEqual(result.compiled, ['pages/home'])
  assert.equal(result.generation?.renders.has('footer'), false)
})

test('an inline partial defined by a page satisfies the layout that calls it', async () => {
  const compiler = await handlebars().load()
  const result = buildGeneration(
    EMPTY_GENERATION,
    [
      add('templates/layouts/base.hbs', '<main>{{> content}}</main>'),
      add('templates/pages/a.hbs', '{{#> layouts/base}}{{#*inline "content"}}A{{/inline}}{{/layouts/base}}'),
    ],
    compiler,
    rules,
  )
  assert.deepEqual(result.problems, [])
  assert.equal(result.generation?.renders.get('pages/a')?.({}), '<main>A</main>')
})

test('two files with the same name are a conflict', async () => {
  const { compiler, generation } = await site()
  const result = buildGeneration(generation, [add('templates/header.hbs', 'top-level header')], compiler, rules)
  assert.equal(result.problems[0]?.code, 'HR_TEMPLATES_NAME_CONFLICT')
  assert.match(result.problems[0]?.message ?? '', /templates\/header\.hbs and templates\/partials\/header\.hbs both define the template "header"/)
})

test('a rename moves the template and recompiles what used the old and the new name', async () => {
  const { compiler, generation } = await site()
  const renamed: TemplateChange = { ...add('templates/pages/plain2.hbs', SITE['templates/pages/plain.hbs'] ?? ''), kind: 'renamed', removedPath: 'templates/pages/plain.hbs' }
  const result = buildGeneration(generation, [renamed], compiler, rules)
  assert.deepEqual(result.problems, [])
  assert.deepEqual(result.removed, ['pages/plain'])
  assert.deepEqual(result.compiled, ['pages/plain2'])
})

test('dynamic templates recompile on any change; creating a missing optional partial recompiles its user', async () => {
  const compiler = await handlebars().load()
  const first = buildGeneration(
    EMPTY_GENERATION,
    [add('templates/pages/dyn.hbs', '{{> (lookup . "p")}}'), add('templates/pages/opt.hbs', '{{#> promo}}none{{/promo}}'), add('templates/pages/x.hbs', 'x')],
    compiler,
    rules,
  )
  assert.deepEqual(first.problems, [])
  assert.ok(first.generation)
  assert.equal(first.generation.renders.get('pages/opt')?.({}), 'none')
  const second = buildGeneration(first.generation, [add('templates/partials/promo.hbs', 'SALE')], compiler, rules)
  assert.deepEqual(second.compiled, ['pages/dyn', 'pages/opt', 'promo'])
  assert.equal(second.generation?.renders.get('pages/opt')?.({}), 'SALE')
})

test('the same graph drives Eta layouts and includes', async () => {
  const compiler = await eta().load()
  const r: NamingRules = { ...rules, extensions: ['.eta'] }
  const first = buildGeneration(
    EMPTY_GENERATION,
    [
      add('templates/layouts/main.eta', '<main><%~ it.body %></main>', 'created', r),
      add('templates/partials/card.eta', '<b><%= it.t %></b>', 'created', r),
      add('templates/pages/home.eta', '<% layout("layouts/main") %><%~ include("card", { t: "home" }) %>', 'created', r),
      add('templates/pages/solo.eta', 'solo', 'created', r),
    ],
    compiler,
    r,
  )
  assert.deepEqual(first.problems, [])
  assert.ok(first.generation)
  assert.equal(first.generation.renders.get('pages/home')?.({}), '<main><b>home</b></main>')
  const second = buildGeneration(first.generation, [add('templates/layouts/main.eta', '<div><%~ it.body %></div>', 'modified', r)], compiler, r)
  assert.deepEqual(second.compiled, ['layouts/main', 'pages/home'])
  assert.equal(second.generation?.renders.get('pages/home')?.({}), '<div><b>home</b></div>')
  assert.equal(first.generation.renders.get('pages/home')?.({}), '<main><b>home</b></main>')
  const third = buildGeneration(second.generation ?? first.generation, [add('templates/pages/solo.eta', '<%~ include("nope") %>', 'modified', r)], compiler, r)
  assert.equal(third.problems[0]?.code, 'HR_TEMPLATES_MISSING_PARTIAL')
  assert.equal(third.problems[0]?.line, 1)
})

test('a custom engine\'s compile error is a problem for that file', async () => {
  const compiler = await customEngine({
    extensions: ['.hbs'],
    compile: (source) => {
      if (source.includes('BAD')) throw Object.assign(new Error('unexpected BAD'), { line: 3, column: 7 })
      return () => source
    },
    dependencies: () => [],
  }).load()
  const result = buildGeneration(EMPTY_GENERATION, [add('templates/a.hbs', 'ok'), add('templates/b.hbs', 'BAD')], compiler, rules)
  assert.deepEqual(result.problems.map((p) => [p.code, p.path, p.line, p.column]), [['HR_TEMPLATES_COMPILE', 'templates/b.hbs', 3, 7]])
})
