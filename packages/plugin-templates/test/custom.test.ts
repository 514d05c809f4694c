import assert from 'node:assert/strict'
import { test } from 'node:test'
import { customEngine, TemplateCompileError, type TemplateFile, type TemplateRender } from '../src/index.js'
import { loadPeer } from '../src/engines/load.js'
import { TemplateEngineMissingError } from '../src/errors.js'

const file = (name: string): TemplateFile => ({ name, path: `templates/${name}.txt`, absolutePath: `/app/templates/${name}.txt`, partial: false })

test('a custom engine compiles with its own function and reaches other templates of the generation by name', async () => {
  // A deliberately tiny engine: the template is a JSON array of strings and {"use": name} parts.
  type Part = string | { use: string }
  const compiler = await customEngine({
    name: 'json-parts',
    extensions: ['.txt'],
    compile(source, context) {
      const parts = JSON.parse(source) as Part[]
      const resolved = parts.map((p) => (typeof p === 'string' ? () => p : context.template(p.use)))
      return (data) => resolved.map((r) => r(data)).join('')
    },
    dependencies: (source) => (JSON.parse(source) as Part[]).flatMap((p) => (typeof p === 'string' ? [] : [p.use])),
  }).load()
  const a = compiler.analyze('["a", {"use": "b"}]', file('a'))
  assert.deepEqual(a.dependencies.map((d) => d.name), ['b'])
  assert.equal(a.dynamic, false)
  const b = compiler.analyze('["B!"]', file('b'))
  let renders = new Map<string, TemplateRender>()
  const generation = compiler.createGeneration((n) => renders.get(n))
  const ra = generation.link(file('a'), a, '["a", {"use": "b"}]')
  const rb = generation.link(file('b'), b, '["B!"]')
  renders = new Map([['a', ra], ['b', rb]])
  assert.equal(ra(), 'aB!')
  assert.throws(() => generation.link(file('c'), b, 'not json'), (e: unknown) => e instanceof TemplateCompileError && e.path === 'templates/c.txt' && /JSON/.test(e.message))
})

test('without dependencies() every template counts as dynamic: the plugin cannot know what it uses', async () => {
  const compiler = await customEngine({ extensions: ['.txt'], compile: (s) => () => s }).load()
  assert.equal(compiler.analyze('x', file('x')).dynamic, true)
})

test('a peer package that is not installed becomes an error with the install command', async () => {
  const name = 'hotreload-no-such-engine'
  await assert.rejects(
    loadPeer(name, 'Imaginary', () => import(name)),
    (e: unknown) => {
      assert.ok(e instanceof TemplateEngineMissingError)
      assert.equal(e.code, 'HR_TEMPLATES_ENGINE_MISSING')
      assert.match(e.message, /Imaginary template engine needs the "hotreload-no-such-engine" package/)
      assert.equal(e.hint, 'Run `npm install hotreload-no-such-engine` in your project.')
      return true
    },
  )
  // A package that is installed but throws while loading is a different, honest error.
  await assert.rejects(loadPeer('handlebars', 'Handlebars', () => Promise.reject(new Error('boom'))), /installed but could not be loaded: boom/)
})
