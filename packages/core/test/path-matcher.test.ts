import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { createPathMatcher } from '../src/path-matcher.js'
import { DEFAULT_IGNORE, DEFAULT_INCLUDE } from '../src/options.js'

const root = '/srv/project'
const defaults = () => createPathMatcher(root, DEFAULT_INCLUDE, DEFAULT_IGNORE)

test('the default include globs watch config, templates and static files only', () => {
  const m = defaults()
  for (const rel of ['config/app.json', 'config/db/main.toml', 'config/a.yaml', 'config/b.yml', 'templates/page.hbs', 'templates/a/b/c.eta', 'static/logo.png', 'static/css/site.css']) {
    assert.equal(m.isWatched(rel), true, rel)
  }
  for (const rel of ['config/app.js', 'config', 'templates', 'src/index.ts', 'package.json', 'README.md']) {
    assert.equal(m.isWatched(rel), false, rel)
  }
})

test('the default excludes hide editor temp files, dotfiles, dot directories and node_modules', () => {
  const m = defaults()
  for (const rel of ['config/app.json.tmp', 'config/.app.json.swp', 'config/app.json~', 'config/.env.json', 'templates/.DS_Store', 'static/node_modules/x/index.css', 'templates/node_modules/a']) {
    assert.equal(m.isWatched(rel), false, rel)
    assert.equal(m.isExcluded(rel), true, rel)
  }
})

test('everything inside an excluded dot directory is excluded, not only the directory', () => {
  const m = createPathMatcher(root, ['**/*'], DEFAULT_IGNORE)
  assert.equal(m.isExcluded('.hotreload'), true)
  assert.equal(m.isExcluded('.hotreload/backups/config/app.json'), true)
  assert.equal(m.isWatched('.hotreload/backups/config/app.json'), false)
  assert.equal(m.isWatched('config/.git/objects/ab'), false)
  assert.equal(m.couldContain('.hotreload'), false)
  assert.equal(m.couldContain('.hotreload/backups'), false)
  assert.equal(m.isWatched('config/app.json'), true)
})

test('an absolute excluded directory under the root excludes everything below it; one outside the root is ignored', () => {
  const m = createPathMatcher(root, ['**/*'], [join(root, 'static/dist'), '/elsewhere/static'])
  assert.equal(m.isExcluded('static/dist'), true)
  assert.equal(m.isExcluded('static/dist/a/b.js'), true)
  assert.equal(m.couldContain('static/dist'), false)
  assert.equal(m.isWatched('static/distribution.js'), true, 'a sibling sharing the prefix stays watched')
  assert.equal(m.isWatched('static/app.js'), true)
})

test('a relative path without glob characters excludes that directory and what is below it', () => {
  const m = createPathMatcher(root, DEFAULT_INCLUDE, ['static/generated'])
  assert.equal(m.isWatched('static/generated/manifest.json'), false)
  assert.equal(m.isWatched('static/generated'), false)
  assert.equal(m.isWatched('static/site.css'), true)
})

test('couldContain prunes by the include globs\' base directories and depth', () => {
  const m = createPathMatcher(root, ['config/**/*.json', 'static/*.css', 'docs/readme.md'], [])
  assert.equal(m.couldContain(''), true)
  assert.equal(m.couldContain('config'), true)
  assert.equal(m.couldContain('config/deep/er'), true)
  assert.equal(m.couldContain('static'), true)
  assert.equal(m.couldContain('static/sub'), false, 'static/*.css has no file below static/')
  assert.equal(m.couldContain('docs'), true, 'the parent of a literal include')
  assert.equal(m.couldContain('docs/sub'), false)
  assert.equal(m.couldContain('src'), false)
  assert.equal(m.couldContain('node'), false)
  const anywhere = createPathMatcher(root, ['**/*.json'], ['**/node_modules/**'])
  assert.equal(anywhere.couldContain('a/b/c'), true)
  assert.equal(anywhere.couldContain('a/node_modules'), false)
})

test('include() and exclude() take effect at once and their removals undo only what they added', () => {
  const m = createPathMatcher(root, ['config/**/*.json'], [])
  assert.equal(m.isWatched('data/a.csv'), false)
  assert.equal(m.couldContain('data'), false)
  const removeInclude = m.include(['data/**/*.csv'])
  assert.equal(m.isWatched('data/a.csv'), true)
  assert.equal(m.couldContain('data/x'), true)

  const removeExclude = m.exclude([join(root, 'data/out'), '**/*.bak.csv'])
  assert.equal(m.isWatched('data/out/a.csv'), false)
  assert.equal(m.isWatched('data/a.bak.csv'), false)
  assert.equal(m.isWatched('data/a.csv'), true)

  const again = m.exclude([join(root, 'data/out')])
  removeExclude()
  assert.equal(m.isWatched('data/a.bak.csv'), true)
  assert.equal(m.isWatched('data/out/a.csv'), false, 'the second exclusion of the same path still holds')
  again()
  assert.equal(m.isWatched('data/out/a.csv'), true)

  removeInclude()
  removeInclude()
  assert.equal(m.isWatched('data/a.csv'), false)
  assert.equal(m.isWatched('config/a.json'), true)
})

test('leading ./ in globs and paths is ignored', () => {
  const m = createPathMatcher(root, ['./config/*.json'], ['./config/secret.json'])
  assert.equal(m.isWatched('config/a.json'), true)
  assert.equal(m.isWatched('./config/a.json'), true)
  assert.equal(m.isWatched('config/secret.json'), false)
})
