import { test } from 'node:test'
import assert from 'node:assert/strict'
import picomatch from 'picomatch'
import { globTest } from '../src/glob-test.js'
import { createPathMatcher } from '../src/path-matcher.js'
import { DEFAULT_IGNORE, DEFAULT_INCLUDE } from '../src/options.js'

// globTest joins the globs' regexes into one: its answers must be picomatch's, glob by glob.
const GLOBS = [
  ...DEFAULT_INCLUDE,
  ...DEFAULT_IGNORE,
  '!config/secret.json',
  'config/app.json',
  'static/**/*.{css,js}',
  'templates/*.hbs',
  '**/*.+(png|jpg)',
  'a/[bc]/?.txt',
  'config/(a|b).json',
  '**/.hotreload/**',
]
const PATHS = [
  'config/app.json',
  'config/secret.json',
  'config/db/main.toml',
  'config/.env',
  'static/css/site.css',
  'static/js/app.js',
  'static/logo.png',
  'static/a.tmp',
  'static/a.css~',
  'static/.DS_Store',
  'templates/page.hbs',
  'templates/sub/page.hbs',
  'node_modules/x/index.js',
  'src/node_modules/y.js',
  'a/b/c.txt',
  'a/d/c.txt',
  'config/a.json',
  '.hotreload/backups/1.json',
  'x/.hotreload/state.json',
  'file with spaces.json',
  'dir.with.dots/file',
]

test('globTest gives picomatch’s answer for every glob alone, and for lists of them', () => {
  for (const dot of [true, false]) {
    for (const glob of GLOBS) {
      const ours = globTest([glob], { dot })
      const theirs = picomatch(glob, { dot })
      for (const path of PATHS) assert.equal(ours(path), theirs(path), `${glob} (dot: ${dot}) on ${path}`)
    }
    for (let size = 2; size <= GLOBS.length; size += 3) {
      const list = GLOBS.slice(0, size)
      const ours = globTest(list, { dot })
      const theirs = picomatch(list, { dot })
      for (const path of PATHS) assert.equal(ours(path), theirs(path), `[${list.join(', ')}] (dot: ${dot}) on ${path}`)
    }
  }
  assert.equal(globTest([])('anything'), false)
})

test('the matcher answers a file the same whether its directory was asked about before or not', () => {
  const files = ['static/a/b/c.css', 'static/.cache/x.css', 'static/node_modules/p/i.js', 'static/a/b/d.tmp', 'config/app.json', 'static/a/b/e.css']
  const fresh = (rel: string) => createPathMatcher('/srv', DEFAULT_INCLUDE, DEFAULT_IGNORE).isWatched(rel)
  const shared = createPathMatcher('/srv', DEFAULT_INCLUDE, DEFAULT_IGNORE)
  for (const rel of [...files, ...files.reverse()]) assert.equal(shared.isWatched(rel), fresh(rel), rel)
  assert.deepEqual(
    files.map((rel) => shared.isWatched(rel)),
    files.map((rel) => !/\/\.|node_modules|\.tmp$/.test(rel)),
  )
  // A directory excluded later hides the files of the directory asked about last.
  assert.equal(shared.isWatched('static/a/b/c.css'), true)
  const remove = shared.exclude(['static/a'])
  assert.equal(shared.isWatched('static/a/b/c.css'), false)
  remove()
  assert.equal(shared.isWatched('static/a/b/c.css'), true)
})
