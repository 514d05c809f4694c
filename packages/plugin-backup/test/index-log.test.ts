import assert from 'node:assert/strict'
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises'
import { test } from 'node:test'
import { BackupWriteError } from '../src/errors.js'
import { BackupIndex, type IndexEntry } from '../src/index-log.js'
import { makeTempProject } from '../../../test/helpers/index.js'

function entry(path: string, version: number, batch: string, hashChar = 'a'): IndexEntry {
  return { version, time: new Date(Date.UTC(2026, 0, version)).toISOString(), path, kind: 'modified', hash: hashChar.repeat(64), size: 10, batch }
}

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const project = await makeTempProject()
  t.after(() => project.cleanup())
  return { project, index: new BackupIndex(project.path('index.jsonl')) }
}

test('append writes one JSON line per backup, 0600, and read returns them in order', async (t) => {
  const { project, index } = await setup(t)
  assert.deepEqual(await index.read(), { entries: [], badLines: [], pendingLines: [] })
  await index.append([entry('a.json', 2, 'x'), entry('b.json', 2, 'x')])
  await index.append([entry('a.json', 3, 'y', 'b')])
  await index.append([])
  const text = await readFile(project.path('index.jsonl'), 'utf8')
  assert.equal(text.trimEnd().split('\n').length, 3)
  assert.equal(JSON.parse(text.split('\n')[0] as string).type, 'backup')
  assert.equal((await stat(project.path('index.jsonl'))).mode & 0o777, 0o600)
  const { entries } = await index.read()
  assert.deepEqual(entries, [entry('a.json', 2, 'x'), entry('b.json', 2, 'x'), entry('a.json', 3, 'y', 'b')])
})

test('revoke voids a whole batch without rewriting earlier lines', async (t) => {
  const { project, index } = await setup(t)
  await index.append([entry('a.json', 2, 'keep')])
  const before = await readFile(project.path('index.jsonl'), 'utf8')
  await index.append([entry('a.json', 3, 'gone'), entry('b.json', 3, 'gone')])
  await index.revoke('gone')
  const after = await readFile(project.path('index.jsonl'), 'utf8')
  assert.ok(after.startsWith(before), 'append-only')
  assert.deepEqual((await index.read()).entries.map((e) => e.batch), ['keep'])
})

test('damaged lines are skipped and reported; a torn last line does not swallow the next append', async (t) => {
  const { project, index } = await setup(t)
  await index.append([entry('a.json', 1, 'x')])
  await appendFile(project.path('index.jsonl'), 'not json\n{"type":"backup","path":"../../etc/x","version":1,"kind":"modified","hash":"' + 'a'.repeat(64) + '","size":1,"time":"t","batch":"q"}\n{"type":"backup","vers')
  await index.append([entry('b.json', 2, 'y')])
  const { entries, badLines } = await index.read()
  assert.deepEqual(entries.map((e) => e.path), ['a.json', 'b.json'])
  assert.deepEqual(badLines.map((b) => b.line), [2, 3, 4])
  assert.equal(badLines[0]?.text, 'not json')
})

test('compact keeps what it is told plus damaged lines and lines appended meanwhile', async (t) => {
  const { project, index } = await setup(t)
  await index.append([entry('a.json', 1, 'x'), entry('a.json', 2, 'x')])
  await index.append([entry('a.json', 3, 'r')])
  await index.revoke('r')
  await appendFile(project.path('index.jsonl'), 'garbage\n')
  await index.compact(async ({ entries }) => {
    // Another process appends while we decide.
    await appendFile(project.path('index.jsonl'), JSON.stringify({ type: 'backup', ...entry('c.json', 4, 'late') }) + '\n')
    return entries.filter((e) => e.version === 2)
  })
  const { entries, badLines } = await index.read()
  assert.deepEqual(entries.map((e) => `${e.path}@${e.version}`), ['a.json@2', 'c.json@4'])
  assert.deepEqual(badLines.map((b) => b.text), ['garbage'])
  assert.equal((await stat(project.path('index.jsonl'))).mode & 0o777, 0o600)
  assert.doesNotMatch(await readFile(project.path('index.jsonl'), 'utf8'), /revoke/)
})

test('an unwritable index fails with BackupWriteError', async (t) => {
  const { project } = await setup(t)
  await writeFile(project.path('file'), 'x')
  const index = new BackupIndex(project.path('file/index.jsonl'))
  await assert.rejects(index.append([entry('a.json', 1, 'x')]), BackupWriteError)
  assert.deepEqual(await index.read(), { entries: [], badLines: [], pendingLines: [] })
})

test('pending entries count only once their batch commits; compact keeps the ones still pending', async (t) => {
  const { index } = await setup(t)
  await index.append([entry('a.json', 2, 'done')], { pending: true })
  await index.append([entry('a.json', 3, 'open', 'b')], { pending: true })
  await index.append([entry('b.json', 4, 'undone', 'c')], { pending: true })
  assert.deepEqual((await index.read()).entries, [], 'nothing has committed yet')
  await index.commit(['done'])
  await index.revoke('undone')
  assert.deepEqual((await index.read()).entries, [entry('a.json', 2, 'done')])
  await index.compact(({ entries }) => entries)
  const compacted = await index.read()
  assert.deepEqual(compacted.entries, [entry('a.json', 2, 'done')])
  assert.equal(compacted.pendingLines.length, 1, 'the open batch survives the rewrite, still pending')
  await index.commit(['open'])
  assert.deepEqual((await index.read()).entries, [entry('a.json', 2, 'done'), entry('a.json', 3, 'open', 'b')])
  await index.commit([])
})
