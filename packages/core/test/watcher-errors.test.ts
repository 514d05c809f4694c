import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmod, opendir, readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { WatcherError } from '../src/errors.js'
import { toWatcherError } from '../src/watchers/errors.js'
import { makeTempProject } from '../../../test/helpers/index.js'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const fixture = fileURLToPath(new URL('./fixtures/watch-and-report-errors.ts', import.meta.url))
const isRoot = process.getuid?.() === 0
const NOBODY = 65534

async function capture(fn: () => Promise<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await fn()
  } catch (error) {
    return error as NodeJS.ErrnoException
  }
  throw new Error('expected the call to fail')
}

test('a real ENOSPC from node becomes a WatcherError that gives the sysctl command and the include alternative', async () => {
  // /dev/full answers every write with ENOSPC: the same error object node builds for inotify's limit.
  const error = await capture(() => writeFile('/dev/full', 'x'))
  assert.equal(error.code, 'ENOSPC')
  const converted = toWatcherError(error, '/srv/project')
  assert.ok(converted instanceof WatcherError)
  assert.equal(converted.code, 'HR_WATCHER')
  assert.match(converted.message, /limit on file watchers.*ENOSPC/)
  assert.match(converted.hint ?? '', /sysctl fs\.inotify\.max_user_watches=\d+/)
  assert.match(converted.hint ?? '', /narrow `include`/)
  assert.equal(converted.cause, error)
})

test('an error the conversion has no advice for keeps its message and says what it means for the user', async () => {
  const project = await makeTempProject({ 'config/a.json': '{}' })
  try {
    const error = await capture(() => readFile(project.path('config')))
    assert.equal(error.code, 'EISDIR')
    const converted = toWatcherError(error, project.root)
    assert.match(converted.message, /the file watcher failed on .*EISDIR/)
    assert.match(converted.hint ?? '', /Changes may be missed/)
  } finally {
    await project.cleanup()
  }
})

test(
  isRoot
    ? 'EACCES: the real watcher, run as another user (nobody) in a child process, reports a directory it cannot read as a WatcherError with a hint'
    : 'EACCES: a directory this user cannot read gives a real EACCES that converts to a WatcherError with a hint',
  async () => {
    const project = await makeTempProject({ 'config/app.json': '{}', 'config/secret/db.json': '{}' })
    try {
      if (isRoot) {
        // Root reads everything, so the unreadable directory must belong to someone else: the
        // watcher runs as nobody; the directory stays root's with mode 700.
        await chmod(project.root, 0o755)
        await chmod(project.path('config/secret'), 0o700)
        const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', fixture, project.root], {
          cwd: repoRoot,
          uid: NOBODY,
          gid: NOBODY,
          timeout: 30_000,
        })
        const errors = JSON.parse(stdout) as { code: string; message: string; hint?: string; path?: string }[]
        const denied = errors.find((e) => e.path === 'config/secret')
        assert.ok(denied, `expected an error for config/secret, got ${stdout}`)
        assert.equal(denied.code, 'HR_WATCHER')
        assert.match(denied.message, /cannot watch config\/secret: permission denied \(EACCES\)/)
        assert.match(denied.hint ?? '', /fix its permissions.*add it to `ignore`/)
      } else {
        await chmod(project.path('config/secret'), 0o000)
        const error = await capture(() => opendir(project.path('config/secret')))
        const converted = toWatcherError(error, project.root)
        assert.equal(converted.path, 'config/secret')
        assert.match(converted.message, /permission denied \(EACCES\)/)
        assert.match(converted.hint ?? '', /add it to `ignore`/)
      }
    } finally {
      await chmod(project.path('config/secret'), 0o755)
      await project.cleanup()
    }
  },
)
