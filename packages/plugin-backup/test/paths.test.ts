import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { BackupPathError } from '../src/errors.js'
import { assertInside, isInside, toProjectPath } from '../src/paths.js'

const root = '/srv/app'

test('toProjectPath normalises root-relative paths', () => {
  assert.deepEqual(toProjectPath(root, 'config/app.json'), { rel: 'config/app.json', abs: join(root, 'config/app.json') })
  assert.equal(toProjectPath(root, './config/../config/app.json').rel, 'config/app.json')
  assert.equal(toProjectPath(root, 'config\\app.json').rel, 'config/app.json')
})

test('toProjectPath refuses hostile and empty paths', () => {
  for (const hostile of ['../../etc/x', '..', 'config/../../x', '/etc/passwd', 'C:\\Windows\\x', '', '.', 'a\0b']) {
    assert.throws(() => toProjectPath(root, hostile), BackupPathError, JSON.stringify(hostile))
  }
})

test('isInside is not fooled by a sibling sharing a prefix or by a name starting with ..', () => {
  assert.equal(isInside('/srv/app', '/srv/app-other/x'), false)
  assert.equal(isInside('/srv/app', '/srv/app/..x'), true)
  assert.equal(isInside('/srv/app', '/srv/app'), true)
  assert.throws(() => assertInside('/srv/app/.hotreload', '/srv/app/.hotreload/../x', 'backup'), BackupPathError)
})
