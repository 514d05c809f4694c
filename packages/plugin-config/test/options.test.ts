import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Type } from '@sinclair/typebox'
import { configPlugin, ConfigOptionsError } from '../src/index.js'

const Site = Type.Object({ port: Type.Integer({ default: 3000 }), title: Type.String() })

// Issue 13, problem 1: the README once showed `restartRequired: ['app.port']`; the error blamed
// "restartRequired.0" instead of saying which form the option takes.
test('restartRequired given as a list says the expected form, written with the same keys', () => {
  assert.throws(
    () => configPlugin({ schemas: { app: Site }, restartRequired: ['app.port'] as never }),
    (e: unknown) =>
      e instanceof ConfigOptionsError &&
      /"restartRequired" must be an object of key patterns by config name, such as \{ app: \['port'\] \}/.test(e.message) &&
      !e.message.includes('restartRequired.0'),
  )
})

// Issue 13, problem 4: a misspelled name silently disabled the guard it was meant to set.
test('a name in restartRequired or required that has no schema is an error with a did-you-mean', () => {
  assert.throws(
    () => configPlugin({ schemas: { site: Site }, restartRequired: { stie: ['port'] } as never }),
    (e: unknown) => e instanceof ConfigOptionsError && /"restartRequired" names config "stie", which has no schema \(did you mean "site"\?\)/.test(e.message),
  )
  assert.throws(
    () => configPlugin({ schemas: { site: Site }, required: ['sit'] as never }),
    (e: unknown) => e instanceof ConfigOptionsError && /"required" names config "sit".*did you mean "site"/.test(e.message) && /Type\.Unknown\(\)/.test(e.hint ?? ''),
  )
  // A name far from every schema's gets no guess, still an error.
  assert.throws(
    () => configPlugin({ schemas: { site: Site }, required: ['database'] as never }),
    (e: unknown) => e instanceof ConfigOptionsError && e.message.endsWith('names config "database", which has no schema'),
  )
  // Without schemas the names come from the files: any name is accepted.
  assert.doesNotThrow(() => configPlugin({ restartRequired: { anything: ['port'] }, required: ['anything'] }))
  assert.doesNotThrow(() => configPlugin({ schemas: { site: Site }, restartRequired: { site: ['port'] }, required: ['site'] }))
})

test('the types refuse a name that is not a schema name', () => {
  // @ts-expect-error "stie" is not a config name of these schemas
  assert.throws(() => configPlugin({ schemas: { site: Site }, restartRequired: { stie: ['port'] } }))
  // @ts-expect-error "sit" is not a config name of these schemas
  assert.throws(() => configPlugin({ schemas: { site: Site }, required: ['sit'] }))
})
