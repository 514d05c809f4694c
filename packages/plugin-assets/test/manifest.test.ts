import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { makeTempProject } from '../../../test/helpers/index.js'
import {
  commitManifestFile,
  fingerprintedName,
  freezeManifest,
  readManifestFile,
  serializeManifest,
  stageManifestFile,
} from '../src/manifest.js'
import type { ManifestEntry } from '../src/types.js'

const HASH = '3f2a9c1b7d5e4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718'

test('fingerprintedName puts the hash before the last extension, or appends it', () => {
  assert.equal(fingerprintedName('css/app.css', HASH, 8), 'css/app.3f2a9c1b.css')
  assert.equal(fingerprintedName('app.min.js', HASH, 8), 'app.min.3f2a9c1b.js')
  assert.equal(fingerprintedName('fonts/LICENSE', HASH, 4), 'fonts/LICENSE.3f2a')
  assert.equal(fingerprintedName('.well-known', HASH, 8), '.well-known.3f2a9c1b')
  assert.equal(fingerprintedName('a/b/c/img.tar.gz', HASH, 12), 'a/b/c/img.tar.3f2a9c1b7d5e.gz')
})

function entry(file: string, size: number): ManifestEntry {
  return { file, hash: HASH, size, integrity: 'sha384-AAAA' }
}

test('serializeManifest sorts keys, fixes field order, indents two spaces and ends with a newline', () => {
  const map = new Map<string, ManifestEntry>([
    ['js/app.js', { integrity: 'sha384-B', size: 2, hash: HASH, file: 'js/app.3f2a9c1b.js' } as ManifestEntry],
    ['css/app.css', entry('css/app.3f2a9c1b.css', 1)],
    ['Zeta.txt', entry('Zeta.3f2a9c1b.txt', 3)],
  ])
  const text = serializeManifest(map)
  assert.deepEqual(Object.keys(JSON.parse(text)), ['Zeta.txt', 'css/app.css', 'js/app.js'])
  assert.ok(text.endsWith('}\n'))
  assert.match(text, /^{\n {2}"Zeta.txt": {\n {4}"file": "Zeta.3f2a9c1b.txt",\n {4}"hash": /)
  assert.deepEqual(Object.keys(JSON.parse(text)['js/app.js']), ['file', 'hash', 'size', 'integrity'])
  // Insertion order does not matter: the same entries give the same bytes.
  assert.equal(serializeManifest(new Map([...map].reverse())), text)
})

test('freezeManifest returns a deeply frozen sorted copy', () => {
  const map = new Map([['b.css', entry('b.x.css', 1)], ['a.css', entry('a.x.css', 2)]])
  const frozen = freezeManifest(map)
  assert.deepEqual(Object.keys(frozen), ['a.css', 'b.css'])
  assert.ok(Object.isFrozen(frozen) && Object.isFrozen(frozen['a.css']))
  map.delete('a.css')
  assert.equal(frozen['a.css']?.size, 2)
})

test('stageManifestFile writes a temp file beside the manifest; commit renames it into place', async (t) => {
  const project = await makeTempProject({})
  t.after(() => project.cleanup())
  const path = project.path('.hotreload/assets-manifest.json')
  const temps: string[] = []
  const temp = await stageManifestFile(path, '{}\n', temps)
  assert.deepEqual(temps, [temp], 'the temp is known before it is created, for the undo')
  assert.equal(await readManifestFile(path), undefined)
  assert.match(temp, /\/\.assets-manifest\.json\.hrtmp-\d+-[0-9a-f]{12}\.tmp$/)
  await commitManifestFile(temp, path)
  assert.equal(await readFile(path, 'utf8'), '{}\n')
  assert.deepEqual(await readdir(project.path('.hotreload')), ['assets-manifest.json'])
})

test('stageManifestFile rejects when the manifest directory is a file, leaving nothing behind', async (t) => {
  const project = await makeTempProject({ 'out': 'I am a file' })
  t.after(() => project.cleanup())
  await assert.rejects(stageManifestFile(project.path('out/manifest.json'), '{}', []), (e: NodeJS.ErrnoException) => ['ENOTDIR', 'EEXIST'].includes(e.code ?? ''))
  assert.equal(await readFile(project.path('out'), 'utf8'), 'I am a file')
})
