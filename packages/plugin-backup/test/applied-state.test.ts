import assert from 'node:assert/strict'
import { stat, writeFile } from 'node:fs/promises'
import { test } from 'node:test'
import { AppliedState } from '../src/applied-state.js'
import { BackupWriteError } from '../src/errors.js'
import { makeTempProject } from '../../../test/helpers/index.js'

const h = (c: string) => c.repeat(64)

test('the applied map round-trips through a 0600 file', async (t) => {
  const project = await makeTempProject()
  t.after(() => project.cleanup())
  const state = new AppliedState(project.path('applied.json'))
  const warnings: string[] = []
  assert.deepEqual(await state.read((m) => warnings.push(m)), new Map(), 'missing file: empty')
  const files = new Map([
    ['config/b.json', { hash: h('b'), size: 2 }],
    ['config/a.json', { hash: h('a'), size: 1 }],
  ])
  await state.write(files)
  assert.equal((await stat(project.path('applied.json'))).mode & 0o777, 0o600)
  assert.deepEqual(await state.read((m) => warnings.push(m)), files)
  assert.deepEqual(warnings, [])
})

test('a damaged file is reported and read as empty; hostile or malformed entries are dropped', async (t) => {
  const project = await makeTempProject()
  t.after(() => project.cleanup())
  const state = new AppliedState(project.path('applied.json'))
  const warnings: string[] = []
  await writeFile(project.path('applied.json'), '{"files": {')
  assert.deepEqual(await state.read((m) => warnings.push(m)), new Map())
  assert.match(warnings[0] ?? '', /applied\.json is not valid JSON/)

  await writeFile(
    project.path('applied.json'),
    JSON.stringify({
      files: {
        'config/ok.json': { hash: h('c'), size: 3 },
        '../../etc/x': { hash: h('d'), size: 1 },
        '/etc/passwd': { hash: h('d'), size: 1 },
        'config/bad-hash.json': { hash: 'nope', size: 1 },
        'config/no-size.json': { hash: h('e') },
      },
    }),
  )
  assert.deepEqual([...(await state.read((m) => warnings.push(m))).keys()], ['config/ok.json'])
})

test('an unwritable location fails with BackupWriteError', async (t) => {
  const project = await makeTempProject({ file: 'x' })
  t.after(() => project.cleanup())
  await assert.rejects(new AppliedState(project.path('file/applied.json')).write(new Map()), BackupWriteError)
})
