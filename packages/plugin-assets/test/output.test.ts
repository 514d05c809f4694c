import assert from 'node:assert/strict'
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { makeTempProject } from '../../../test/helpers/index.js'
import { AssetCopyError } from '../src/errors.js'
import { CopyRetention, checkWritableDir, commitCopy, copyTempFor, hasCopy, removeFile, writeCopy } from '../src/output.js'

test('CopyRetention keeps the newest keepVersions files per asset and returns the rest', () => {
  const r = new CopyRetention(2)
  assert.deepEqual(r.record('app.css', 'app.1.css'), [])
  assert.deepEqual(r.record('app.css', 'app.2.css'), [])
  assert.deepEqual(r.record('app.css', 'app.3.css'), ['app.1.css'])
  assert.deepEqual(r.record('other.js', 'other.1.js'), [])
  assert.deepEqual(r.files('app.css'), ['app.3.css', 'app.2.css'])
})

test('CopyRetention moves a reverted version to the front instead of keeping it twice', () => {
  const r = new CopyRetention(2)
  r.record('app.css', 'app.A.css')
  r.record('app.css', 'app.B.css')
  assert.deepEqual(r.record('app.css', 'app.A.css'), [])
  assert.deepEqual(r.files('app.css'), ['app.A.css', 'app.B.css'])
})

test('checkWritableDir finds out, without writing, whether a directory can be created and written', async (t) => {
  const project = await makeTempProject({ 'public/css': 'a file where a directory should be', 'ok/x': '' })
  t.after(() => project.cleanup())
  assert.equal(await checkWritableDir(project.path('ok'), 'EEXIST'), undefined)
  assert.equal(await checkWritableDir(project.path('new/deep/dir'), 'EEXIST'), undefined)
  assert.equal((await checkWritableDir(project.path('public/css'), 'EEXIST'))?.code, 'EEXIST')
  assert.equal((await checkWritableDir(project.path('public/css'), 'ENOTDIR'))?.code, 'ENOTDIR')
  assert.equal((await checkWritableDir(project.path('public/css/js/deeper'), 'EEXIST'))?.code, 'ENOTDIR')
  assert.deepEqual((await readdir(project.root)).sort(), ['ok', 'public'], 'nothing was created')
})

test('copies are staged under a hidden temp name in the final directory and renamed into place', async (t) => {
  const project = await makeTempProject({})
  t.after(() => project.cleanup())
  const out = project.path('public')
  const temp = await copyTempFor(out, 'css/app.1234abcd.css')
  assert.match(temp, /public\/css\/\.app\.1234abcd\.css\.hrtmp-\d+-[0-9a-f]{12}\.tmp$/)
  await writeCopy(temp, Buffer.from('body{}'))
  assert.equal(await hasCopy(`${out}/css/app.1234abcd.css`, 6), false)
  await commitCopy(temp, `${out}/css/app.1234abcd.css`)
  assert.equal(await hasCopy(`${out}/css/app.1234abcd.css`, 6), true)
  assert.equal(await hasCopy(`${out}/css/app.1234abcd.css`, 5), false, 'a copy of another size is not that content')
  assert.deepEqual(await readdir(`${out}/css`), ['app.1234abcd.css'])
  assert.equal(await readFile(`${out}/css/app.1234abcd.css`, 'utf8'), 'body{}')
})

test('writeCopy reports an unwritable output location as an AssetCopyError naming the path', async (t) => {
  const project = await makeTempProject({ 'public/css': 'a file where a directory should be' })
  t.after(() => project.cleanup())
  await assert.rejects(writeCopy(project.path('public/css/app.css'), Buffer.from('x')), (e: unknown) => {
    assert.ok(e instanceof AssetCopyError)
    assert.match(e.message, /public\/css\/app\.css: a parent of the path is a file/)
    assert.ok(e.hint)
    return true
  })
  await assert.rejects(copyTempFor(project.path('public'), 'css/app.css'), { code: 'EEXIST' })
})

test('removeFile resolves whether the file existed', async (t) => {
  const project = await makeTempProject({ 'a.txt': 'a' })
  t.after(() => project.cleanup())
  assert.equal(await removeFile(project.path('a.txt')), true)
  assert.equal(await removeFile(project.path('a.txt')), false)
  await mkdir(project.path('dir'))
  await assert.rejects(removeFile(project.path('dir')), { code: 'EISDIR' })
})
