import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { HotReloadEvent } from '@hotreload/core'
import { makeTempProject, waitFor } from '../../../test/helpers/index.js'
import { startInstance } from '../../../test/helpers/instance.js'
import { createPathMatcher } from '../src/path-matcher.js'
import { loadParcel, startParcel } from '../src/watchers/parcel.js'
import { BACKENDS } from './backends.js'

/** A real file whose name holds the byte 0xe9 (latin-1 é): Linux allows any bytes but / and NUL. */
async function writeLatin1(root: string, dir: string, stem: string): Promise<void> {
  await mkdir(`${root}/${dir}`, { recursive: true })
  await writeFile(Buffer.concat([Buffer.from(`${root}/${dir}/${stem}`), Buffer.from([0xe9]), Buffer.from('.json')]), '{}')
}

const nameErrors = (events: readonly HotReloadEvent[]) => events.filter((e): e is Extract<HotReloadEvent, { type: 'error' }> => e.type === 'error' && e.error.code === 'HR_FILE_NAME')

for (const { label, watcher, usePolling } of BACKENDS) {
  test(`[${label}] a file name that is not valid UTF-8 is reported with its directory and escaped bytes, at start and when it appears`, async (t) => {
    const project = await makeTempProject({ 'conf/ok.json': '{}' })
    t.after(() => project.cleanup())
    await writeLatin1(project.root, 'conf', 'caf')
    const { events, reloader } = await startInstance(t, { project, include: ['conf/**/*.json'], watcher, usePolling })
    const atStart = nameErrors(events)
    assert.equal(atStart.length, 1, JSON.stringify(atStart))
    assert.deepEqual(atStart[0]?.paths, ['conf'])
    assert.match(atStart[0]?.error.message ?? '', /conf: a file name is not valid UTF-8.*\$'conf\/caf\\xe9\.json'.*bytes 63 61 66 e9 2e 6a 73 6f 6e/)
    assert.match(atStart[0]?.error.hint ?? '', /Rename it to a UTF-8 name, e\.g\. mv \$'conf\/caf\\xe9\.json'/)
    assert.equal(reloader.status().files, 1, 'the valid file is still loaded')

    await writeLatin1(project.root, 'conf/later', 'na')
    await waitFor(() => nameErrors(events).some((e) => e.paths[0] === 'conf/later'), { timeoutMs: 15_000, message: 'the error for conf/later' })
    const later = nameErrors(events).find((e) => e.paths[0] === 'conf/later')
    assert.match(later?.error.message ?? '', /\$'conf\/later\/na\\xe9\.json'/)
  })
}

test('a missing @parcel/watcher and a binary that fails to load are OptionsErrors naming the package and the fallback', async (t) => {
  await assert.rejects(loadParcel('hotreload-test-no-such-package'), (error: Error & { code?: string; hint?: string }) => {
    assert.equal(error.code, 'HR_OPTIONS')
    assert.match(error.message, /watcher "parcel" needs the optional package @parcel\/watcher, which could not be loaded/)
    assert.match(error.hint ?? '', /npm install @parcel\/watcher/)
    assert.match(error.hint ?? '', /watcher: 'chokidar'/)
    return true
  })
  // A real native module that cannot load: a .node file that is not a shared object.
  const project = await makeTempProject({ 'broken/watcher.node': 'not an ELF file', 'broken/index.cjs': "module.exports = require('./watcher.node')\n" })
  t.after(() => project.cleanup())
  await assert.rejects(loadParcel(project.path('broken/index.cjs')), (error: Error & { code?: string; hint?: string }) => {
    assert.equal(error.code, 'HR_OPTIONS')
    assert.match(error.message, /@parcel\/watcher, which could not be loaded: .*(invalid ELF header|file too short)/)
    assert.match(error.hint ?? '', /watcher: 'chokidar'/)
    return true
  })
})

test("parcel's 'Unable to remove watcher: Invalid argument' at unsubscribe (parcel-bundler/watcher#129) does not fail close()", async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{}' })
  t.after(() => project.cleanup())
  const errors: Error[] = []
  const seen: string[] = []
  const watcher = await startParcel(
    {
      root: project.root,
      matcher: createPathMatcher(project.root, ['conf/**'], []),
      onEvent: (kind, rel) => seen.push(`${kind} ${rel}`),
      onError: (error) => errors.push(error),
    },
    join(import.meta.dirname, 'fixtures', 'parcel-einval-on-unsubscribe.mjs'),
  )
  await project.write('conf/b.json', '{}')
  await waitFor(() => seen.includes('add conf/b.json'), { timeoutMs: 15_000, message: `the add event (seen: ${seen.join(', ')})` })
  await watcher.close()
  await watcher.close()
  assert.deepEqual(errors, [])
})
