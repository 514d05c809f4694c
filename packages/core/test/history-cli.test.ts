import assert from 'node:assert/strict'
import { appendFile, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { createHotReload, loadConfigFile, type TransactionRecord } from '@hotreload/core'
import { runCli } from '../../../test/helpers/cli.js'
import { makeTempProject } from '../../../test/helpers/index.js'

// The project's own plugin, inline in its config: `{"problem": ...}` rejects at 1:2, `{"fail":
// ...}` throws in apply. Its apply() leaves a marker naming the process, so a test can tell
// whether a command started an instance.
const CONFIG = `import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
const plugin = {
  name: 'outcomes',
  apply(kernel) {
    writeFileSync(join(kernel.root, 'started-' + process.pid), '')
    kernel.hooks.detect.tap('outcomes', (changes, tx) => {
      for (const c of changes) if (c.path.endsWith('.json')) tx.claim('outcomes', c)
      return changes
    })
    kernel.hooks.validate.tapPromise('outcomes', async (tx) => {
      for (const c of tx.claimed('outcomes')) {
        if (c.kind === 'deleted') continue
        const v = JSON.parse((await tx.read(c)).toString())
        if (v.problem) tx.problem({ plugin: 'outcomes', code: 'HR_TEST', message: v.problem, path: c.path, line: 1, column: 2 })
      }
    })
    kernel.hooks.apply.tapPromise('outcomes', async (tx) => {
      for (const c of tx.claimed('outcomes')) {
        if (c.kind === 'deleted') continue
        const v = JSON.parse((await tx.read(c)).toString())
        if (v.fail) throw new Error(v.fail)
      }
    })
  },
}
export default { include: ['conf/**/*'], debounceMs: 20, plugins: [plugin] }
`

async function trailProject() {
  const project = await makeTempProject({ 'hotreload.config.ts': CONFIG, 'conf/a.json': '{"n":1}', 'conf/b.json': '{"n":1}' })
  // Two runs of the same project (a plugin object is used once: the config is loaded per run):
  // the trail must read across the restart.
  const load = () => loadConfigFile(project.path('hotreload.config.ts'))
  const first = await createHotReload({ ...(await load()), watch: false })
  await project.write('conf/b.json', '{"problem":"b is broken"}')
  await first.reload({ paths: ['conf/b.json'] })
  await first.close()
  await project.write('conf/b.json', '{"n":2}')
  const second = await createHotReload({ ...(await load()), watch: false })
  await project.write('conf/a.json', '{"fail":"pool refused postgres://admin:hunter2@db.internal/app"}')
  await second.reload({ paths: ['conf/a.json'] })
  await second.close()
  return project
}

const out = (stdout: string) => stdout.split('\n').filter(Boolean)
const markers = async (root: string) => (await readdir(root)).filter((n) => n.startsWith('started-') && n !== `started-${process.pid}`)

test('hotreload history reads the trail across restarts, newest first, and filters it', async (t) => {
  const project = await trailProject()
  t.after(() => project.cleanup())
  const trail = await readFile(join(project.root, '.hotreload/audit.jsonl'), 'utf8')

  const all = await runCli(['history'], project.root)
  assert.equal(all.code, 0, all.stderr)
  const lines = out(all.stdout)
  assert.equal(lines.length, 4, all.stdout)
  assert.deepEqual(
    lines.map((l) => / (applied|rejected|rolled-back) /.exec(l)?.[1]),
    ['rolled-back', 'applied', 'rejected', 'applied'],
  )
  // The second run goes on from version 2 (its initial load) and has its own run id.
  assert.match(lines[0] ?? '', /^\S+Z [0-9a-f-]{8} #2 v2 rolled-back manual {2}conf\/a\.json \(\d+ ms\): pool refused postgres:\/\/\[redacted\]@db\.internal\/app/)
  const runs = lines.map((l) => l.split(' ')[1])
  assert.equal(runs[0], runs[1])
  assert.equal(runs[2], runs[3])
  assert.notEqual(runs[0], runs[2])
  assert.match(lines[2] ?? '', /rejected +manual +conf\/b\.json \(\d+ ms\): conf\/b\.json:1:2: b is broken \[outcomes\]$/)
  assert.ok(!all.stdout.includes('hunter2'))

  const rejected = await runCli(['history', '--status', 'rejected'], project.root)
  assert.deepEqual(out(rejected.stdout).length, 1)
  assert.match(rejected.stdout, /conf\/b\.json:1:2: b is broken/)

  const several = await runCli(['--json', 'history', '--status', 'applied,rolled-back'], project.root)
  const records = out(several.stdout).map((l) => JSON.parse(l) as TransactionRecord)
  assert.deepEqual(
    records.map((r) => r.status),
    ['rolled-back', 'applied', 'applied'],
  )
  assert.deepEqual(records[0]?.changes, [{ kind: 'modified', path: 'conf/a.json' }])

  const onA = await runCli(['history', '--path', 'conf/a*', '--json'], project.root)
  assert.deepEqual(
    out(onA.stdout).map((l) => (JSON.parse(l) as TransactionRecord).status),
    ['rolled-back', 'applied', 'applied'],
    'the rejection touched only b.json',
  )

  const limited = await runCli(['history', '--limit', '1', '--json'], project.root)
  assert.equal(out(limited.stdout).length, 1)
  assert.equal((JSON.parse(out(limited.stdout)[0] ?? '{}') as TransactionRecord).status, 'rolled-back')

  assert.equal(out((await runCli(['history', '--since', '2099-01-01T00:00:00Z'], project.root)).stdout).length, 0)
  assert.equal(out((await runCli(['history', '--since', '1h'], project.root)).stdout).length, 4)

  const bad = await runCli(['history', '--status', 'applyed'], project.root)
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--status "applyed" is not a status; use one of applied, rejected, rolled-back, aborted, dry-run, unchanged/)
  assert.equal((await runCli(['history', '--since', 'yesterday'], project.root)).code, 2)
  assert.equal((await runCli(['history', '--limit', '0'], project.root)).code, 2)
  const help = await runCli(['history', '--help'], project.root)
  assert.equal(help.code, 0)
  assert.match(help.stdout, /^Usage: hotreload history/)

  // Reading started no instance: no plugin applied in a child, and the trail is as it was.
  assert.deepEqual(await markers(project.root), [])
  assert.equal(await readFile(join(project.root, '.hotreload/audit.jsonl'), 'utf8'), trail)
})

test('hotreload history skips a damaged line with a warning, and check writes nothing to the trail', async (t) => {
  const project = await trailProject()
  t.after(() => project.cleanup())
  await appendFile(join(project.root, '.hotreload/audit.jsonl'), '{"id":9,"sta')
  const damaged = await runCli(['history'], project.root)
  assert.equal(damaged.code, 0)
  assert.equal(out(damaged.stdout).length, 4)
  assert.match(damaged.stderr, /warning: .*audit\.jsonl:5: a damaged line was skipped \(a partial last line/)

  // A check is a dry run: it prints the rejection (credentials masked) and appends nothing.
  await project.write('conf/b.json', JSON.stringify({ problem: 'bad url https://tok_ABC123@api.example.com/v1' }))
  const before = await readFile(join(project.root, '.hotreload/audit.jsonl'), 'utf8')
  const check = await runCli(['check', '--json'], project.root)
  assert.equal(check.code, 1, check.stderr)
  assert.ok(!check.stdout.includes('tok_ABC123'), check.stdout)
  assert.match(check.stdout, /bad url https:\/\/\[redacted\]@api\.example\.com\/v1/)
  const human = await runCli(['check'], project.root)
  assert.ok(!human.stdout.includes('tok_ABC123'), human.stdout)
  assert.equal(await readFile(join(project.root, '.hotreload/audit.jsonl'), 'utf8'), before)
})
