import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildGeneration, EMPTY_GENERATION, type TemplateChange } from '../src/build.js'
import { createTemplateCache } from '../src/cache.js'
import { templateFileOf, normaliseDir, type NamingRules } from '../src/naming.js'
import { handlebars, TemplateNotFoundError, TemplateRenderError } from '../src/index.js'

const rules: NamingRules = { dir: 'templates', partialsDir: 'partials', extensions: ['.hbs'] }
function add(path: string, source: string): TemplateChange {
  const file = templateFileOf(path, `/app/${path}`, rules)
  assert.ok(file)
  return { kind: 'created', path, added: { file, source } }
}

test('render, get, has, names and stats read the installed generation; a later install replaces it', async () => {
  const compiler = await handlebars({ helpers: { fail: () => { throw new Error('helper exploded') } } }).load()
  const control = createTemplateCache()
  const { cache } = control
  assert.deepEqual(cache.names(), [])
  assert.throws(() => cache.render('pages/home'), (e: unknown) => e instanceof TemplateNotFoundError && /none are loaded yet/.test(e.message))

  const first = buildGeneration(EMPTY_GENERATION, [add('templates/pages/home.hbs', 'v1 {{name}}'), add('templates/pages/boom.hbs', '{{fail}}')], compiler, rules)
  assert.ok(first.generation)
  control.install(first.generation, first.compiled.length)
  assert.equal(cache.render('pages/home', { name: 'a' }), 'v1 a')
  assert.equal(cache.get('pages/home')({ name: 'b' }), 'v1 b')
  assert.equal(cache.has('pages/home'), true)
  assert.equal(cache.has('nope'), false)
  assert.deepEqual(cache.names(), ['pages/boom', 'pages/home'])
  assert.throws(() => cache.get('nope'), (e: unknown) => e instanceof TemplateNotFoundError && /"pages\/boom", "pages\/home"/.test(e.message))
  assert.throws(
    () => cache.render('pages/boom'),
    (e: unknown) => e instanceof TemplateRenderError && e.path === 'templates/pages/boom.hbs' && /helper exploded/.test(e.message),
  )
  assert.deepEqual(cache.stats(), { compilations: 2, cacheHits: 3, misses: 2, renders: 2, templates: 2, generations: 1 })

  // A destructured method works and follows later installs: the cache does not depend on `this`.
  const { render } = cache
  const second = buildGeneration(first.generation, [add('templates/pages/home.hbs', 'v2 {{name}}')], compiler, rules)
  assert.ok(second.generation)
  assert.equal(render('pages/home', { name: 'c' }), 'v1 c')
  control.install(second.generation, second.compiled.length)
  assert.equal(render('pages/home', { name: 'c' }), 'v2 c')
  assert.equal(cache.stats().generations, 2)
})

test('naming: paths relative to the templates directory, partials without their directory, other extensions ignored', () => {
  const name = (path: string, r: NamingRules = rules) => templateFileOf(path, `/app/${path}`, r)
  assert.deepEqual(name('templates/pages/home.hbs'), { name: 'pages/home', path: 'templates/pages/home.hbs', absolutePath: '/app/templates/pages/home.hbs', partial: false })
  assert.equal(name('templates/partials/header.hbs')?.name, 'header')
  assert.equal(name('templates/partials/header.hbs')?.partial, true)
  assert.equal(name('templates/partials/nav/main.hbs')?.name, 'nav/main')
  assert.equal(name('templates/index.hbs')?.name, 'index')
  assert.equal(name('templates/readme.md'), undefined)
  assert.equal(name('templates/.hbs'), undefined)
  assert.equal(name('views/x.hbs')?.name, 'views/x')
  assert.equal(name('x.html.eta', { ...rules, dir: '', extensions: ['.eta', '.html.eta'] })?.name, 'x')
  assert.equal(normaliseDir('./views/'), 'views')
  assert.equal(normaliseDir('.'), '')
})
