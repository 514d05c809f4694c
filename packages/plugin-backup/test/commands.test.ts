import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { test } from 'node:test'
import type { CommandContext, HotReload } from '@hotreload/core'
import { backupPlugin } from '../src/index.js'
import { hashBytes } from '../src/store.js'
import { linkNodeModules, runCli } from '../../../test/helpers/cli.js'
import { makeTempProject } from '../../../test/helpers/index.js'
import { startProject } from './harness.js'

function capture(reloader: HotReload, json = false) {
  const out: string[] = []
  const err: string[] = []
  const ctx: CommandContext = { reloader, json, print: (l) => out.push(l), printError: (l) => err.push(l) }
  return { ctx, out, err }
}

async function withHistory(t: Parameters<typeof startProject>[0]) {
  const h = await startProject(t, { 'config/app.json': '{"port":1}' }, {}, { watch: false })
  for (const port of [2, 3]) {
    await h.project.write('config/app.json', `{"port":${port}}`)
    assert.equal((await h.reloader.reload({ paths: ['config/app.json'] })).status, 'applied')
  }
  return { ...h, command: h.backups.command }
}

test('the command is named after the plugin; only list is read-only', async (t) => {
  const h = await withHistory(t)
  assert.equal(h.command.readOnly?.(['list']), true)
  assert.equal(h.command.readOnly?.(['list', 'config/app.json']), true)
  assert.equal(h.command.readOnly?.(['restore', 'config/app.json', '2']), false)
  assert.equal(h.command.readOnly?.(['prune']), false)
  assert.equal(h.command.readOnly?.([]), false)
  const named = backupPlugin({ name: 'snapshots' })
  assert.match(named.command.usage ?? '', /^hotreload snapshots list \[path\]/)
})

test('backup list prints a table, or one JSON record per line with --json', async (t) => {
  const h = await withHistory(t)
  const table = capture(h.reloader)
  assert.equal(await h.command.run(['list'], table.ctx), 0)
  assert.equal(table.out[0], 'version\ttime\tkind\tsize\thash\tpath')
  assert.equal(table.out.length, 3)
  assert.match(table.out[1] ?? '', new RegExp(`^2\\t.+\\tmodified\\t10\\t${hashBytes(Buffer.from('{"port":1}')).slice(0, 12)}\\tconfig/app.json$`))

  const json = capture(h.reloader, true)
  assert.equal(await h.command.run(['list', 'config/app.json'], json.ctx), 0)
  assert.deepEqual(json.out.map((l) => (JSON.parse(l) as { version: number }).version), [2, 3])

  const none = capture(h.reloader)
  assert.equal(await h.command.run(['list', 'config/other.json'], none.ctx), 0)
  assert.deepEqual(none.out, ['no backups of config/other.json'])
})

test('backup restore exits 0 when applied and 1 when the restored content is rejected', async (t) => {
  const h = await withHistory(t)
  const ok = capture(h.reloader)
  assert.equal(await h.command.run(['restore', 'config/app.json', '2'], ok.ctx), 0, ok.err.join('\n'))
  assert.match(ok.out[0] ?? '', /restored config\/app.json from version 2: applied \(now version 4\)/)
  assert.equal(await readFile(h.project.path('config/app.json'), 'utf8'), '{"port":1}')

  // Content that stopped validating: the file on disk is broken, then a restore of the
  // `restored` snapshot (the broken bytes) is refused by the JSON handler.
  await h.project.write('config/app.json', '{"port":')
  assert.equal((await h.reloader.reload({ paths: ['config/app.json'] })).status, 'rejected')
  assert.equal(await h.command.run(['restore', 'config/app.json', '3'], capture(h.reloader).ctx), 0)
  const snapshot = (await h.backups.list('config/app.json')).filter((r) => r.kind === 'restored').at(-1)
  assert.equal(snapshot?.hash, hashBytes(Buffer.from('{"port":')), 'the broken edit was kept before the restore overwrote it')
  // That restore applied as version 5, which also backed up the applied {"port":1}: two contents
  // share version 5, so the CLI asks which one.
  const ambiguous = capture(h.reloader)
  assert.equal(await h.command.run(['restore', 'config/app.json', String(snapshot?.version)], ambiguous.ctx), 2)
  assert.match(ambiguous.err.join('\n'), /version 5 of config\/app.json has 2 different backups: restored [0-9a-f]{12}, modified [0-9a-f]{12}.*--hash/)
  const bad = capture(h.reloader)
  assert.equal(await h.command.run(['restore', 'config/app.json', String(snapshot?.version), '--hash', snapshot?.hash.slice(0, 8) ?? ''], bad.ctx), 1)
  assert.match(bad.err.join('\n'), /transaction was rejected/)
  assert.match(bad.err.join('\n'), /config\/app.json/)
})

test('usage errors exit 2, failures exit 1, each with a message', async (t) => {
  const h = await withHistory(t)
  const cases: Array<[string[], number, RegExp]> = [
    [[], 2, /missing subcommand/],
    [['frobnicate'], 2, /unknown subcommand "frobnicate"/],
    [['restore', 'config/app.json'], 2, /restore needs <path> <version>/],
    [['restore', 'config/app.json', 'two'], 2, /version must be an integer/],
    [['restore', '../../etc/x', '2'], 2, /outside the project root/],
    [['list', 'a', 'b'], 2, /at most one path/],
    [['prune', '--keep-versions', '0'], 2, /--keep-versions must be an integer >= 1/],
    [['prune', '--colour'], 2, /Unknown option/],
    [['restore', 'config/app.json', '2', '--hash', 'xyz'], 2, /--hash must be 4 to 64 hex digits/],
    [['restore', 'config/app.json', '99'], 1, /no backup of config\/app.json at version 99 \(Backups of config\/app.json exist for versions 2, 3\.\)/],
  ]
  for (const [args, code, message] of cases) {
    const run = capture(h.reloader)
    assert.equal(await h.command.run(args, run.ctx), code, args.join(' '))
    assert.match(run.err.join('\n'), message, args.join(' '))
  }
})

test('backup prune applies the flags, or the configured limits without them', async (t) => {
  const h = await withHistory(t)
  const run = capture(h.reloader)
  assert.equal(await h.command.run(['prune', '--keep-versions', '1'], run.ctx), 0)
  assert.deepEqual(run.out, ['removed 1 backup(s) and 1 object(s), freed 10 bytes; 1 backup(s) kept'])
  const json = capture(h.reloader, true)
  assert.equal(await h.command.run(['prune'], json.ctx), 0)
  assert.deepEqual(JSON.parse(json.out[0] ?? ''), { removedBackups: 0, removedObjects: 0, freedBytes: 0, keptBackups: 1 })
})

// The real `hotreload` binary with a hotreload.config.ts, as a user runs it.
test('hotreload backup list / restore through the CLI', async (t) => {
  const config = `import { defineConfig, defineReloadHandler } from '@hotreload/core'
import backup from '@hotreload/plugin-backup'
export default defineConfig({
  include: ['conf/**'],
  plugins: [
    defineReloadHandler({ name: 'json', files: 'conf/**/*.json', async validate(change, ctx) { if (change.kind !== 'deleted') JSON.parse(await ctx.readText()) }, handleChange() {} }),
    backup(),
  ],
})
`
  const p = await makeTempProject({ 'hotreload.config.ts': config, 'conf/a.json': '{"v":1}' })
  t.after(() => p.cleanup())
  await linkNodeModules(p.root)
  // `backup list` only reads: it runs on a dry run, so it writes nothing, not even .hotreload/.
  const empty = await runCli(['backup', 'list'], p.root)
  assert.equal(empty.code, 0, empty.stderr)
  assert.match(empty.stdout, /no backups yet/)
  assert.deepEqual((await readdir(p.root)).sort(), ['conf', 'hotreload.config.ts', 'node_modules'])
  // `backup prune` changes things, so its instance applies: its initial load stores what is on
  // disk, and the next applying run finds the previous version in the store.
  assert.equal((await runCli(['backup', 'prune'], p.root)).code, 0)
  await p.write('conf/a.json', '{"v":2}')
  const second = await runCli(['backup', 'prune'], p.root)
  assert.equal(second.code, 0, second.stderr)

  const listed = await runCli(['backup', 'list'], p.root)
  assert.equal(listed.code, 0, listed.stderr)
  assert.match(listed.stdout, /modified\t7\t[0-9a-f]{12}\tconf\/a\.json/)
  const version = /^(\d+)\t/m.exec(listed.stdout.split('\n').slice(1).join('\n'))?.[1]
  assert.ok(version, listed.stdout)

  const restored = await runCli(['backup', 'restore', 'conf/a.json', version], p.root)
  assert.equal(restored.code, 0, restored.stderr)
  assert.equal(await readFile(p.path('conf/a.json'), 'utf8'), '{"v":1}')
  const usage = await runCli(['backup', 'restore'], p.root)
  assert.equal(usage.code, 2)
})
