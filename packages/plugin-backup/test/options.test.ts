import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BackupOptionsError } from '../src/errors.js'
import { backupPlugin } from '../src/index.js'
import { resolveBackupOptions } from '../src/options.js'

test('defaults', () => {
  assert.deepEqual(resolveBackupOptions({}), { name: 'backup', dir: '.hotreload/backups', onError: 'block' })
  const given = { dir: 'backups', keepVersions: 3, maxAgeMs: 1000, maxTotalBytes: 0, onError: 'warn' as const }
  const copy = { ...given }
  assert.deepEqual(resolveBackupOptions(given), { name: 'backup', ...given })
  assert.deepEqual(given, copy, 'the caller\'s options are not mutated')
})

test('invalid options name every mistake', () => {
  assert.throws(
    () => backupPlugin({ keepVersions: 0, maxAgeMs: -1, onError: 'ignore' as 'warn', dir: '', colour: 'red' } as never),
    (error: unknown) => {
      assert.ok(error instanceof BackupOptionsError)
      assert.equal(error.code, 'HR_BACKUP_OPTIONS')
      for (const word of ['keepVersions', 'maxAgeMs', 'onError', '"dir"', 'colour']) assert.match(error.message, new RegExp(word))
      assert.match(error.hint ?? '', /maxAgeMs: 7 \* 24/)
      return true
    },
  )
  assert.throws(() => backupPlugin({ maxTotalBytes: 1.5 }), BackupOptionsError)
})
