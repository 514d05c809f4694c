import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { appendFile, mkdir, open, readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { createHotReload, OptionsError, readAudit, type HotReloadEvent, type Logger, type TransactionRecord } from '@hotreload/core'
import { makeTempProject, waitFor } from '../../../test/helpers/index.js'
import { spawnSourceScript } from '../../../test/helpers/source-child.js'
import { outcomesPlugin } from './outcomes-plugin.js'

const trailDir = (root: string) => join(root, '.hotreload')
const trailFile = (root: string) => join(root, '.hotreload', 'audit.jsonl')

async function lines(path: string): Promise<TransactionRecord[]> {
  const text = await readFile(path, 'utf8')
  assert.ok(text.endsWith('\n'), 'the trail ends with a whole line')
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TransactionRecord)
}

function captureLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = []
  return { warnings, debug() {}, info() {}, warn: (m) => void warnings.push(m), error() {} }
}

test('every status reaches the trail as one JSON line: applied, rejected, aborted, rolled back, unchanged, dry run', async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"n":1}' })
  t.after(() => project.cleanup())
  const reloader = await createHotReload({ root: project.root, include: ['conf/**/*'], watch: false, plugins: [outcomesPlugin()] })
  const outcomes: string[] = [reloader.history()[0]?.status ?? 'none']
  const step = async (content: string, options: { dryRun?: boolean } = {}) => {
    await project.write('conf/a.json', content)
    outcomes.push((await reloader.reload({ paths: ['conf/a.json'], ...options })).status)
  }
  await step('{"problem":"n must be a number"}')
  await step('{"abort":"instance b voted no"}')
  await step('{"fail":"the cache refused the swap"}')
  await step('{"n":1}')
  await step('{"n":2}', { dryRun: true })
  await step('{"n":2}')
  await reloader.close()
  assert.deepEqual(outcomes, ['applied', 'rejected', 'aborted', 'rolled-back', 'unchanged', 'dry-run', 'applied'])

  const written = await lines(trailFile(project.root))
  assert.deepEqual(
    written.map((r) => r.status),
    outcomes,
  )
  const rejected = written[1]
  assert.equal(rejected?.reason, 'manual')
  assert.deepEqual(rejected?.changes, [{ kind: 'modified', path: 'conf/a.json' }])
  assert.deepEqual(rejected?.problems.map((p) => [p.path, p.line, p.column, p.message]), [['conf/a.json', 1, 2, 'n must be a number']])
  assert.deepEqual(written[2]?.abort, { code: 'HR_TEST_ABORT', message: 'instance b voted no', plugin: 'outcomes' })
  assert.equal(written[3]?.error?.message, 'the cache refused the swap')
  assert.equal(written[6]?.version, 2)
  // Kernel v2's fields: one run id, the time of each stage that ran, per plugin too.
  assert.deepEqual(new Set(written.map((r) => r.runId)), new Set([reloader.runId]))
  assert.deepEqual(Object.keys(written[6]?.stages ?? {}).sort(), ['apply', 'commit', 'detect', 'prepare', 'validate'])
  assert.ok(Object.keys(written[6]?.pluginStages['outcomes'] ?? {}).includes('apply'))
  assert.deepEqual(Object.keys(written[1]?.stages ?? {}).sort(), ['detect', 'validate'], 'a rejection stops after validate')
  // What the trail holds is what history() held, field for field.
  for (const record of reloader.history()) {
    assert.deepEqual(
      written.find((w) => w.id === record.id && w.status === record.status),
      JSON.parse(JSON.stringify(record)),
    )
  }
  assert.equal((await stat(trailFile(project.root))).mode & 0o777, 0o600)
  assert.equal((await stat(trailDir(project.root))).mode & 0o777, 0o700)

  const { records, warnings } = await readAudit(trailDir(project.root))
  assert.deepEqual(warnings, [])
  assert.deepEqual(
    records.map((r) => r.status),
    [...outcomes].reverse(),
    'newest first',
  )
})

test('a dry-run session and audit: false write no trail at all', async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"n":1}' })
  t.after(() => project.cleanup())
  for (const options of [{ dryRun: true }, { audit: false }]) {
    const reloader = await createHotReload({ root: project.root, include: ['conf/**/*'], watch: false, plugins: [outcomesPlugin()], ...options })
    await project.write('conf/a.json', `{"n":${Math.random()}}`)
    const record = await reloader.reload({ paths: ['conf/a.json'] })
    await reloader.close()
    assert.equal(record.status, options.dryRun ? 'dry-run' : 'applied')
    // A dry run writes nothing at all; without a trail, the state file (the version) remains.
    const absent = options.dryRun ? trailDir(project.root) : trailFile(project.root)
    await assert.rejects(stat(absent), { code: 'ENOENT' }, `${JSON.stringify(options)} created ${absent}`)
  }
})

test('the audit option is validated', async () => {
  await assert.rejects(createHotReload({ watch: false, audit: { maxFiles: 0 } }), (e: unknown) => e instanceof OptionsError && /audit/.test(e.message))
  await assert.rejects(createHotReload({ watch: false, audit: { maxBytes: 5 } as never }), (e: unknown) => e instanceof OptionsError && /audit/.test(e.message))
})

test('the trail rotates at the size cap and keeps maxFiles files, newest records kept', async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"n":1}' })
  t.after(() => project.cleanup())
  const maxFileBytes = 2048
  const reloader = await createHotReload({ root: project.root, include: ['conf/**/*'], watch: false, audit: { maxFileBytes, maxFiles: 3 }, plugins: [outcomesPlugin()] })
  const ids: number[] = []
  for (let i = 0; i < 40; i++) ids.push((await reloader.reload({ paths: ['conf/a.json'], force: true })).id)
  await reloader.close()

  const names = (await readdir(trailDir(project.root))).filter((n) => n.startsWith('audit')).sort()
  assert.deepEqual(names, ['audit.1.jsonl', 'audit.2.jsonl', 'audit.jsonl'])
  for (const name of names) {
    const st = await stat(join(trailDir(project.root), name))
    assert.ok(st.size > 0 && st.size <= maxFileBytes, `${name} is ${st.size} bytes`)
    assert.equal(st.mode & 0o777, 0o600)
  }
  const { records, warnings } = await readAudit(trailDir(project.root))
  assert.deepEqual(warnings, [])
  const kept = records.map((r) => r.id)
  assert.ok(kept.length > 3 && kept.length < 41, `${kept.length} records kept`)
  // The newest records, newest first, with no gap: rotation dropped only the oldest.
  const newest = ids.at(-1) ?? 0
  assert.deepEqual(kept, kept.map((_, i) => newest - i))
})

test('a partial last line is skipped with a warning and does not swallow the next record', async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"n":1}' })
  t.after(() => project.cleanup())
  const first = await createHotReload({ root: project.root, include: ['conf/**/*'], watch: false, plugins: [outcomesPlugin()] })
  await first.close()
  // What a crash in the middle of a write leaves: the start of a line and no newline.
  await appendFile(trailFile(project.root), '{"id":2,"version":1,"status":"appl')

  const logger = captureLogger()
  const second = await createHotReload({ root: project.root, include: ['conf/**/*'], watch: false, plugins: [outcomesPlugin()], logger })
  await project.write('conf/a.json', '{"n":2}')
  await second.reload({ paths: ['conf/a.json'] })
  await second.close()
  assert.equal(logger.warnings.filter((w) => /partial line/.test(w)).length, 1, logger.warnings.join('\n'))

  const { records, warnings } = await readAudit(trailDir(project.root))
  assert.equal(warnings.length, 1)
  assert.match(warnings[0] ?? '', /audit\.jsonl:2: a damaged line was skipped/)
  assert.deepEqual(
    records.map((r) => [r.reason, r.status]),
    [
      ['manual', 'applied'],
      ['initial', 'applied'],
      ['initial', 'applied'],
    ],
  )
  // A third run appends after whole lines again, and reading still skips only the one fragment.
  const third = await createHotReload({ root: project.root, include: ['conf/**/*'], watch: false, plugins: [outcomesPlugin()] })
  await third.close()
  const again = await readAudit(trailDir(project.root))
  assert.equal(again.records.length, 4)
  assert.equal(again.warnings.length, 1)
})

test('the trail survives a SIGKILL in the middle of an append', async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"n":1}' })
  t.after(() => project.cleanup())
  const { child, stdout, stderr, exited } = spawnSourceScript('packages/core/test/fixtures/audit-kill-child.ts', [project.root])
  t.after(() => void child.kill('SIGKILL'))

  // Once a few records are written, kill as soon as the file ends inside a line (a write in
  // progress: a SIGKILL then cuts the write short); if no poll lands inside one within a few
  // seconds, kill anyway. Each poll reads one byte, so polling does not slow the writer.
  const file = trailFile(project.root)
  await waitFor(() => /^tx 2$/m.test(stdout()), { timeoutMs: 120_000, message: `three transactions in the child (stderr: ${stderr()})` })
  const fd = await open(file, 'r')
  const lastByte = async () => {
    const { size } = await fd.stat()
    const byte = Buffer.alloc(1)
    const { bytesRead } = await fd.read(byte, 0, 1, Math.max(0, size - 1))
    return bytesRead === 1 ? byte[0] : undefined
  }
  const hunting = Date.now()
  let torn = false
  await waitFor(
    async () => {
      torn = (await lastByte()) !== 0x0a
      return torn || Date.now() - hunting > 5000
    },
    { timeoutMs: 30_000, intervalMs: 1, message: 'a poll of the trail' },
  )
  child.kill('SIGKILL')
  assert.equal(await exited, 'SIGKILL')
  t.diagnostic(`the kill landed ${torn ? 'inside a write (a partial last line)' : 'between writes'}`)

  const before = await readAudit(trailDir(project.root))
  assert.ok(before.records.length >= 2)
  for (const r of before.records) assert.equal(r.problems.length, 20_000, 'every record read is whole')
  assert.ok(before.warnings.length <= 1, before.warnings.join('\n'))
  const endsTorn = (await lastByte()) !== 0x0a
  await fd.close()
  assert.equal(before.warnings.length, endsTorn ? 1 : 0)

  // The next run starts normally and its record is whole, whatever the kill left.
  const reloader = await createHotReload({ root: project.root, include: ['conf/**/*'], watch: false, plugins: [outcomesPlugin()] })
  await reloader.close()
  const after = await readAudit(trailDir(project.root))
  assert.equal(after.records.length, before.records.length + 1)
  assert.equal(after.records[0]?.reason, 'initial')
  assert.equal(after.records[0]?.status, 'applied')
  // The same fragment is still the one line skipped (the new instance may have rotated the
  // file, since the child's records took it past the default cap).
  assert.equal(after.warnings.length, before.warnings.length)
  const lineOf = (w: string | undefined) => /:(\d+): a damaged line/.exec(w ?? '')?.[1]
  assert.equal(lineOf(after.warnings[0]), lineOf(before.warnings[0]))
})

test('credentials inside values never reach the trail', async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"n":1}' })
  t.after(() => project.cleanup())
  const reloader = await createHotReload({ root: project.root, include: ['conf/**/*'], watch: false, plugins: [outcomesPlugin()] })
  await project.write('conf/a.json', JSON.stringify({ problem: 'cannot reach postgres://admin:s3cr3t-pw@db.internal:5432/app' }))
  await reloader.reload({ paths: ['conf/a.json'] })
  await project.write('conf/a.json', JSON.stringify({ fail: 'upstream said 401 to Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.tok3n and https://ghp_T0KEN123@github.com/x.git' }))
  await reloader.reload({ paths: ['conf/a.json'] })
  // In-process, the record keeps the real message: only what leaves the process is masked.
  assert.match(reloader.history().at(-2)?.problems[0]?.message ?? '', /s3cr3t-pw/)
  await reloader.close()

  const raw = await readFile(trailFile(project.root), 'utf8')
  for (const secret of ['s3cr3t-pw', 'admin:', 'eyJhbGciOiJIUzI1NiJ9', 'tok3n', 'ghp_T0KEN123']) assert.ok(!raw.includes(secret), `${secret} reached the trail`)
  const written = await lines(trailFile(project.root))
  assert.equal(written[1]?.problems[0]?.message, 'cannot reach postgres://[redacted]@db.internal:5432/app')
  assert.equal(written[2]?.error?.message, 'upstream said 401 to Authorization: Bearer [redacted] and https://[redacted]@github.com/x.git')
})

test('a trail that cannot be written is an error event; transactions go on', async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"n":1}' })
  t.after(() => project.cleanup())
  // A directory where the trail's file should be: every append fails, the state file works.
  await mkdir(trailFile(project.root), { recursive: true })
  const events: HotReloadEvent[] = []
  const reloader = await createHotReload({ root: project.root, include: ['conf/**/*'], watch: false, plugins: [outcomesPlugin()], onEvent: (e) => events.push(e) })
  t.after(() => reloader.close())
  const auditErrors = () => events.filter((e) => e.type === 'error' && e.error.code === 'HR_AUDIT_WRITE')
  const [error] = await waitFor(() => (auditErrors().length > 0 ? auditErrors() : undefined), { message: 'an HR_AUDIT_WRITE error event' })
  assert.ok(error?.type === 'error')
  assert.match(error.error.message, /the audit trail could not be written/)
  assert.match(error.error.hint ?? '', /audit: false/)
  for (let i = 2; i < 5; i++) {
    await project.write('conf/a.json', `{"n":${i}}`)
    assert.equal((await reloader.reload({ paths: ['conf/a.json'] })).status, 'applied')
  }
  assert.equal(reloader.status().version, 4)
  await reloader.close()
  // Reported once per outage, not once per transaction.
  assert.equal(auditErrors().length, 1)
})

test('reloads in a loop that never yields to the event loop still reach the trail, in bounded batches', async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"n":1}' })
  t.after(() => project.cleanup())
  const reloader = await createHotReload({ root: project.root, include: ['conf/**/*'], watch: false, historyLimit: 1, plugins: [outcomesPlugin()] })
  t.after(() => reloader.close())
  for (let i = 0; i < 200; i++) await reloader.reload({ paths: ['conf/a.json'], force: true })
  // Read before this test itself yields: whatever was written, was written inside the loop.
  const written = readFileSync(trailFile(project.root), 'utf8').split('\n').filter(Boolean).length
  assert.ok(written >= 200 - 64, `at most one batch (64 records) is still queued; the trail has ${written} of 201 lines`)
})
