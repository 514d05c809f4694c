import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, stat, truncate } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { makeTempProject } from '../../../test/helpers/index.js'
import { CHUNK_SIZE, digestFile, integrityOf } from '../src/hash.js'
import { AssetCopyError } from '../src/errors.js'

const run = promisify(execFile)

/** sha256 and sha384 from the system's own tools, an oracle independent of node:crypto. */
async function systemDigests(path: string): Promise<{ sha256: string; sha384: string }> {
  const sha256 = (await run('sha256sum', [path])).stdout.split(' ')[0] as string
  const sha384hex = (await run('sha384sum', [path])).stdout.split(' ')[0] as string
  return { sha256, sha384: Buffer.from(sha384hex, 'hex').toString('base64') }
}

test('digestFile agrees with sha256sum and sha384sum for small, chunk-sized and multi-chunk files', async (t) => {
  const project = await makeTempProject({
    'empty.txt': '',
    'small.css': 'body { color: red }\n',
    'exact.bin': randomBytes(CHUNK_SIZE),
    'multi.bin': randomBytes(CHUNK_SIZE * 3 + 17),
  })
  t.after(() => project.cleanup())
  for (const name of ['empty.txt', 'small.css', 'exact.bin', 'multi.bin']) {
    const path = project.path(name)
    const digest = await digestFile(path)
    const expected = await systemDigests(path)
    assert.equal(digest.sha256, expected.sha256, name)
    assert.equal(digest.integrity, `sha384-${expected.sha384}`, name)
    assert.equal(digest.size, (await stat(path)).size, name)
  }
})

test('integrityOf matches sha384sum for bytes already in memory', async (t) => {
  const bytes = randomBytes(5000)
  const project = await makeTempProject({ 'a.bin': bytes })
  t.after(() => project.cleanup())
  assert.equal(integrityOf(bytes), `sha384-${(await systemDigests(project.path('a.bin'))).sha384}`)
})

test('digestFile writes an identical copy in the same pass, streamed for large files', async (t) => {
  const big = randomBytes(CHUNK_SIZE * 2 + 123)
  const project = await makeTempProject({ 'big.bin': big, 'small.txt': 'hello' })
  t.after(() => project.cleanup())
  await digestFile(project.path('big.bin'), { copyTo: project.path('big.copy') })
  await digestFile(project.path('small.txt'), { copyTo: project.path('small.copy') })
  assert.deepEqual(await readFile(project.path('big.copy')), big)
  assert.equal(await readFile(project.path('small.copy'), 'utf8'), 'hello')
})

test('digestFile refuses to overwrite an existing copy and reports it as a copy error', async (t) => {
  const project = await makeTempProject({ 'a.txt': 'a', 'taken.txt': 'keep me' })
  t.after(() => project.cleanup())
  await assert.rejects(digestFile(project.path('a.txt'), { copyTo: project.path('taken.txt') }), (error: unknown) => {
    assert.ok(error instanceof AssetCopyError)
    assert.equal(error.code, 'HR_ASSETS_COPY')
    assert.match(error.message, /taken\.txt/)
    return true
  })
  assert.equal(await readFile(project.path('taken.txt'), 'utf8'), 'keep me')
})

test('digestFile rejects with the file system error for a vanished file and for a directory', async (t) => {
  const project = await makeTempProject({})
  t.after(() => project.cleanup())
  await assert.rejects(digestFile(project.path('gone.css')), { code: 'ENOENT' })
  await mkdir(project.path('now-a-dir.css'))
  await assert.rejects(digestFile(project.path('now-a-dir.css')), { code: 'EISDIR' })
})

test('digestFile stops between chunks once its signal is aborted', async (t) => {
  const project = await makeTempProject({ 'big.bin': randomBytes(CHUNK_SIZE * 4) })
  t.after(() => project.cleanup())
  const controller = new AbortController()
  controller.abort(new Error('superseded'))
  await assert.rejects(digestFile(project.path('big.bin'), { signal: controller.signal }), /superseded/)
})

// Root reads anything, so chmod 000 proves nothing when the suite runs as root: the read is
// made by an unprivileged child process instead (or by this one, when it is not root).
test('digestFile rejects with EACCES for a file this user may not read', async (t) => {
  const project = await makeTempProject({ 'secret.css': 'body{}' })
  t.after(() => project.cleanup())
  await chmod(project.root, 0o755)
  await chmod(project.path('secret.css'), 0o000)
  const hashModule = fileURLToPath(new URL('../src/hash.ts', import.meta.url))
  const script = `import('${hashModule}').then((m) => m.digestFile(process.argv[1])).then(() => console.log('READ'), (e) => console.log(e.code))`
  const asRoot = process.getuid?.() === 0
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script, project.path('secret.css')], {
    cwd: fileURLToPath(new URL('../../..', import.meta.url)),
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  assert.equal(code, 0, err)
  assert.equal(out.trim(), 'EACCES')
})

test('hashing a 200 MB file keeps memory flat (the same holds for 1 GB: reads are 1 MiB chunks)', async (t) => {
  const project = await makeTempProject({ 'huge.bin': '' })
  t.after(() => project.cleanup())
  const size = 200 * 1024 * 1024
  // A sparse file: 200 MB of real bytes to read and hash, without 200 MB of disk writes.
  await truncate(project.path('huge.bin'), size)
  global.gc?.()
  const before = process.memoryUsage()
  let peakRss = before.rss
  let peakHeap = before.heapUsed
  const sampler = setInterval(() => {
    const now = process.memoryUsage()
    peakRss = Math.max(peakRss, now.rss)
    peakHeap = Math.max(peakHeap, now.heapUsed)
  }, 5)
  try {
    const digest = await digestFile(project.path('huge.bin'), { copyTo: project.path('huge.copy') })
    assert.equal(digest.size, size)
    assert.equal(digest.sha256, (await systemDigests(project.path('huge.bin'))).sha256)
  } finally {
    clearInterval(sampler)
  }
  const limit = 48 * 1024 * 1024
  t.diagnostic(`rss +${((peakRss - before.rss) / 1048576).toFixed(1)} MiB, heap +${((peakHeap - before.heapUsed) / 1048576).toFixed(1)} MiB while hashing and copying 200 MiB`)
  assert.ok(peakRss - before.rss < limit, `rss grew by ${((peakRss - before.rss) / 1048576).toFixed(1)} MiB for a 200 MiB file`)
  assert.ok(peakHeap - before.heapUsed < limit, `heap grew by ${((peakHeap - before.heapUsed) / 1048576).toFixed(1)} MiB`)
  assert.equal((await stat(project.path('huge.copy'))).size, size)
})
