import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OptionsError } from '@hotreload/core'
import { backupPlugin } from '../src/index.js'
import { resolveBackupOptions } from '../src/options.js'

test('defaults', () => {
  assert.deepEqual(resolveBackupOptions({}), { name: 'backup', outDir: '.hotreload/backups', onError: 'block' })
  const given = { outDir: 'backups', keepVersions: 3, maxAgeMs: 1000, maxTotalBytes: 0, onError: 'warn' as const }
  const copy = { ...given }
  assert.deepEqual(resolveBackupOptions(given), { name: 'backup', ...given })
  assert.deepEqual(given, copy, 'the caller\'s options are not mutated')
})

test('invalid options name every mistake at once, with a did-you-mean', () => {
  assert.throws(
    () => backupPlugin({ keepVersions: 0, maxAgeMs: -1, onError: 'ignore' as 'warn', outDir: '', colour: 'red', keepVersion: 2 } as never),
    (error: unknown) => {
      assert.ok(error instanceof OptionsError)
      assert.equal(error.code, 'HR_OPTIONS')
      assert.equal(error.plugin, 'backup')
      for (const word of ['keepVersions', 'maxAgeMs', 'onError', '"outDir"', 'unknown option "colour"']) assert.match(error.message, new RegExp(word))
      assert.match(error.message, /unknown option "keepVersion" \(did you mean "keepVersions"\?\)/)
      assert.match(error.hint ?? '', /maxAgeMs: 7 \* 24/)
      return true
    },
  )
  assert.throws(() => backupPlugin({ maxTotalBytes: 1.5 }), OptionsError)
})

test('the old "dir" option is refused with a hint that it is now "outDir"', () => {
  assert.throws(
    () => backupPlugin({ dir: 'backups' } as never),
    (error: unknown) => error instanceof OptionsError && /unknown option "dir"/.test(error.message) && /"dir" is now "outDir"/.test(error.hint ?? ''),
  )
})
