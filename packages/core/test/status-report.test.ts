// statusReport(): the instance's status plus each plugin's own section, under the plugin's name.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createHotReload, type Plugin } from '@hotreload/core'
import { makeTempProject } from '../../../test/helpers/index.js'

test('statusReport() has each plugin\'s section under its name; a failing or silent plugin is a sectionError, never a rejection', async (t) => {
  const project = await makeTempProject({ 'conf/a.txt': '1' })
  let asked = 0
  const plugins: Plugin[] = [
    { name: 'plain', apply() {} },
    { name: 'sync', apply() {}, status: () => ({ asked: ++asked }) },
    // A class method: the kernel calls it on the plugin, so `this` is the plugin.
    new (class {
      readonly name = 'async'
      readonly #items = ['x', 'y']
      apply() {}
      async status() {
        return { items: this.#items }
      }
    })(),
    { name: 'rejects', apply() {}, status: () => Promise.reject(new Error('the store is down')) },
    { name: 'throws', apply() {}, status: () => { throw new Error('not ready') } },
    { name: 'silent', apply() {}, status: () => new Promise<object>(() => {}) },
    { name: 'not-object', apply() {}, status: () => 42 as unknown as object },
    { name: '__proto__', apply() {}, status: () => ({ odd: true }) },
  ]
  const reloader = await createHotReload({ root: project.root, include: ['conf/**'], watch: false, plugins })
  t.after(async () => {
    await reloader.close()
    await project.cleanup()
  })
  const report = await reloader.statusReport({ timeoutMs: 3_000 })
  // The instance's own status is all there.
  const { sections, sectionErrors, ...own } = report
  assert.deepEqual({ ...own, last: undefined }, { ...reloader.status(), last: undefined })
  assert.equal(report.version, 1)
  assert.deepEqual(Object.keys(sections).sort(), ['__proto__', 'async', 'sync'])
  assert.deepEqual(sections.sync, { asked: 1 })
  assert.deepEqual(sections.async, { items: ['x', 'y'] })
  assert.deepEqual(Object.getOwnPropertyDescriptor(sections, '__proto__')?.value, { odd: true })
  assert.deepEqual(Object.keys(sectionErrors).sort(), ['not-object', 'rejects', 'silent', 'throws'])
  assert.equal(sectionErrors.rejects?.code, 'HR_STATUS_SECTION')
  assert.match(sectionErrors.rejects?.message ?? '', /the store is down/)
  assert.equal(sectionErrors.rejects?.plugin, 'rejects')
  assert.match(sectionErrors.throws?.message ?? '', /not ready/)
  assert.equal(sectionErrors.silent?.code, 'HR_STATUS_TIMEOUT')
  assert.match(sectionErrors.silent?.message ?? '', /plugin "silent" did not answer status\(\) within 3000 ms/)
  assert.ok(sectionErrors.silent?.hint)
  assert.match(sectionErrors['not-object']?.message ?? '', /returned number from status\(\), not an object/)
  // It is JSON as sent over the wire: the null-prototype sections serialise like plain objects.
  assert.deepEqual(JSON.parse(JSON.stringify(report)).sections.sync, { asked: 1 })
  // Asked anew every time.
  assert.deepEqual((await reloader.statusReport({ timeoutMs: 3_000 })).sections.sync, { asked: 2 })
})
