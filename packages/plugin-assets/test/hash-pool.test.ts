// The worker pool a large stage hashes with (issue 11): its digests, its per-file errors, and
// that it never leaves a thread behind.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { makeTempProject } from '../../../test/helpers/index.js'
import type { FileChange } from '@hotreload/core'
import { EarlyHashes } from '../src/early-hash.js'
import { CHUNK_SIZE } from '../src/hash.js'
import { digestInPool, POOL_MIN_FILES, worthPooling, type PoolJob } from '../src/hash-pool.js'

const run = promisify(execFile)
const REPO = fileURLToPath(new URL('../../..', import.meta.url))

/** sha256 and sha384 from the system's own tools, an oracle independent of node:crypto. */
async function systemDigests(path: string): Promise<{ sha256: string; integrity: string }> {
  const sha256 = (await run('sha256sum', [path])).stdout.split(' ')[0] as string
  const sha384hex = (await run('sha384sum', [path])).stdout.split(' ')[0] as string
  return { sha256, integrity: `sha384-${Buffer.from(sha384hex, 'hex').toString('base64')}` }
}

async function jobsFor(paths: readonly string[]): Promise<PoolJob[]> {
  return Promise.all(paths.map(async (path) => ({ path, size: (await stat(path)).size })))
}

test('the pool hashes every file with both digests from one read, agreeing with sha256sum and sha384sum across chunk sizes', async (t) => {
  const sizes = [0, 1, 4096, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, CHUNK_SIZE * 3 + 17]
  const files: Record<string, Uint8Array> = {}
  sizes.forEach((size) => (files[`s${size}.bin`] = randomBytes(size)))
  for (let i = 0; i < 150; i++) files[`small/f${i}.css`] = randomBytes(100 + i * 37)
  const project = await makeTempProject(files, 'hotreload-assets-pool-')
  t.after(() => project.cleanup())
  const names = Object.keys(files)
  const jobs = await jobsFor(names.map((name) => project.path(name)))
  assert.ok(worthPooling(jobs), 'a set this large goes to the pool')
  const outcomes = await digestInPool(jobs, { threads: 2 })
  assert.equal(outcomes.length, names.length)
  for (const [i, name] of names.entries()) {
    const outcome = outcomes[i]
    assert.ok(outcome && !(outcome instanceof Error), `${name}: ${String(outcome)}`)
    // The system tools are slow per call: check every odd size, and a sample of the small files.
    if (name.startsWith('small/') && i % 25 !== 0) continue
    const expected = await systemDigests(project.path(name))
    assert.deepEqual(outcome, { ...expected, size: (files[name] as Uint8Array).length }, name)
  }
})

test('a file removed between listing and reading, or replaced by a directory, is an error naming it with its code; the rest still hash', async (t) => {
  const files: Record<string, string> = {}
  for (let i = 0; i < POOL_MIN_FILES + 6; i++) files[`f${i}.js`] = `export const n = ${i}\n`
  const project = await makeTempProject(files, 'hotreload-assets-pool-')
  t.after(() => project.cleanup())
  const jobs = await jobsFor(Object.keys(files).map((name) => project.path(name)))
  await rm(project.path('f3.js'))
  await rm(project.path('f40.js'))
  await mkdir(project.path('f40.js'))
  const outcomes = await digestInPool(jobs, { threads: 2 })
  const failed = outcomes.flatMap((o, i) => (o instanceof Error ? [[jobs[i]?.path, (o as NodeJS.ErrnoException).code, (o as NodeJS.ErrnoException).path]] : []))
  assert.deepEqual(failed, [
    [project.path('f3.js'), 'ENOENT', project.path('f3.js')],
    [project.path('f40.js'), 'EISDIR', project.path('f40.js')],
  ])
  assert.equal(outcomes.filter((o) => !(o instanceof Error)).length, jobs.length - 2)
})

test('an abort stops the pool and rejects with the signal\'s reason', async (t) => {
  const files: Record<string, Uint8Array> = {}
  for (let i = 0; i < 40; i++) files[`big${i}.bin`] = randomBytes(CHUNK_SIZE)
  const project = await makeTempProject(files, 'hotreload-assets-pool-')
  t.after(() => project.cleanup())
  const jobs = await jobsFor(Object.keys(files).map((name) => project.path(name)))
  const controller = new AbortController()
  const pending = digestInPool(jobs, { threads: 2, signal: controller.signal })
  controller.abort(new Error('superseded by a newer batch'))
  await assert.rejects(pending, /superseded by a newer batch/)
  await assert.rejects(digestInPool(jobs, { signal: controller.signal }), /superseded by a newer batch/, 'an aborted signal starts no worker')
})

// A worker left running keeps its process alive, so a child that ends its script and exits on
// its own proves every worker stopped: after a full run, after a run with a failing file, and
// after an aborted one. Root reads anything, so the child runs as nobody when this is root:
// that also shows a file this user may not read is EACCES, naming the file.
test('the pool leaves no thread behind (the process exits on its own), and an unreadable file is EACCES naming it', async (t) => {
  const files: Record<string, string> = { 'secret.css': 'body{}' }
  for (let i = 0; i < POOL_MIN_FILES; i++) files[`f${i}.css`] = `a{b:${i}}`
  const project = await makeTempProject(files, 'hotreload-assets-pool-')
  t.after(() => project.cleanup())
  await chmod(project.root, 0o755)
  await chmod(project.path('secret.css'), 0o000)
  const poolModule = fileURLToPath(new URL('../src/hash-pool.ts', import.meta.url))
  const script = `
    const { digestInPool } = await import(${JSON.stringify(poolModule)})
    const paths = JSON.parse(process.argv[1])
    const jobs = paths.map((path) => ({ path, size: 8 }))
    const outcomes = await digestInPool(jobs, { threads: 2 })
    const failed = outcomes.flatMap((o, i) => (o instanceof Error ? [o.code + ' ' + o.path] : []))
    const controller = new AbortController()
    const aborted = digestInPool(jobs, { threads: 2, signal: controller.signal })
    controller.abort(new Error('stop'))
    await aborted.catch(() => undefined)
    console.log(JSON.stringify({ hashed: outcomes.length - failed.length, failed }))
  `
  const paths = Object.keys(files).map((name) => project.path(name))
  const asRoot = process.getuid?.() === 0
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script, JSON.stringify(paths)], {
    cwd: REPO,
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  // Generous: a loaded machine starts node and tsx slowly; a leftover worker never exits at all.
  const exited = await new Promise<number | null | 'hung'>((resolve) => {
    const timer = setTimeout(() => resolve('hung'), 120_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve(code)
    })
  })
  if (exited === 'hung') child.kill('SIGKILL')
  assert.equal(exited, 0, `the child did not exit on its own: ${err}`)
  assert.deepEqual(JSON.parse(out), { hashed: POOL_MIN_FILES, failed: [`EACCES ${project.path('secret.css')}`] })
})

test('worthPooling: many files, or a few that add up to many bytes; never a single file', () => {
  const job = (size: number): PoolJob => ({ path: '/x', size })
  assert.equal(worthPooling(Array.from({ length: POOL_MIN_FILES }, () => job(10))), true)
  assert.equal(worthPooling(Array.from({ length: POOL_MIN_FILES - 1 }, () => job(10))), false)
  assert.equal(worthPooling([job(64 * 1024 * 1024), job(1)]), true)
  assert.equal(worthPooling([job(1024 * 1024 * 1024)]), false)
})

test('early digests are taken only for files whose size and mtime are still those the worker saw', async (t) => {
  const files: Record<string, string> = {}
  for (let i = 0; i < POOL_MIN_FILES; i++) files[`f${i}.css`] = `a{b:${String(i).padStart(3, '0')}}`
  const project = await makeTempProject(files, 'hotreload-assets-pool-')
  t.after(() => project.cleanup())
  const early = new EarlyHashes(Object.keys(files).map((name) => project.path(name)))
  t.after(() => early.close())
  await early.matching([]) // resolves once the early pass is over
  // After the pass: f1 rewritten at the same size with a new mtime, f2 only touched.
  await writeFile(project.path('f1.css'), 'a{b:XYZ}')
  const later = new Date(Date.now() + 10_000)
  await utimes(project.path('f1.css'), later, later)
  await utimes(project.path('f2.css'), later, later)
  // What the core's stat fingerprints of the files now say.
  const changes: FileChange[] = await Promise.all(
    Object.keys(files).map(async (name) => {
      const { size, mtimeMs } = await stat(project.path(name))
      return { kind: 'created', path: `static/${name}`, absolutePath: project.path(name), fingerprint: { size, mtimeMs, hash: `stat:${size}:${mtimeMs}` } } as const
    }),
  )
  const matched = await early.matching(changes)
  assert.deepEqual(
    changes.filter((c) => !matched.has(c)).map((c) => c.path),
    ['static/f1.css', 'static/f2.css'],
  )
  assert.equal(matched.get(changes[7] as FileChange)?.sha256, (await systemDigests(project.path('f7.css'))).sha256)
  await early.close()
})
