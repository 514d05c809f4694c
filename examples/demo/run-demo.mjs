// `npm start`: hotreload watching a small project with every plugin, printing what it reloads.
// The project is copied to a temporary directory, so the demo's own edits never touch the
// repository. With --watch it keeps running after the scripted edits, for your own.
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { styleText } from 'node:util'
import { createHotReload, loadConfigFile, writeFileAtomic } from '@hotreload/core'
import { formatDiff, redact } from '@hotreload/plugin-config'

const here = dirname(fileURLToPath(import.meta.url))
const keepWatching = process.argv.includes('--watch')
const color = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (style, text) => (color ? styleText(style, text) : text)
const say = (text) => console.log(`\n${paint('bold', '▶')} ${paint('bold', text)}`)
const show = (text) => console.log(`    ${text}`)

const root = await mkdtemp(join(tmpdir(), 'hotreload-demo-'))
await cp(join(here, 'project'), root, { recursive: true })
// The copy imports the workspace's packages as an installed project would.
await symlink(join(here, '../../node_modules'), join(root, 'node_modules'), 'dir')

const options = await loadConfigFile(join(root, 'hotreload.config.ts'))
const plugin = (name) => options.plugins.find((p) => p.name === name)
const configs = plugin('config')
const templates = plugin('templates')
const assets = plugin('assets')
const backups = plugin('backup')

const events = []
// The header first: the initial load's lines (ready, applied, config:changed...) come under it.
say(`hotreload is watching a copy of examples/demo/project in ${root}`)
const reloader = await createHotReload({ ...options, onEvent: (e) => (events.push(e), print(e)) })

function print(e) {
  switch (e.type) {
    case 'ready':
      return show(paint('cyan', `ready: ${e.files} files watched, version ${e.version}`))
    case 'applied':
      return show(`${paint('green', '✓ applied')} v${e.version}: ${e.changes.map((c) => `${c.kind} ${c.path}`).join(', ')} ${paint('dim', `(${e.durationMs} ms)`)}`)
    case 'rejected':
      show(`${paint('red', '✗ rejected')}, still serving v${e.version}:`)
      for (const p of e.problems) show(`    ${p.path ?? ''}${p.line ? `:${p.line}:${p.column ?? 1}` : ''} ${p.message}${p.hint ? paint('dim', ` (${p.hint})`) : ''}`)
      return
    case 'rolled-back':
      return show(`${paint('yellow', '↺ rolled back')}: ${e.error.message}`)
    case 'config:changed':
      return show(`config "${e.name}" changed: ${formatDiff(e.diff).join('; ')}`)
    case 'template:updated':
      return show(`templates recompiled: ${e.names.join(', ')}`)
    case 'asset:updated':
      return show(`asset ${e.logicalPath}: ${e.oldUrl ?? '(new)'} → ${e.url ?? '(removed)'}`)
    case 'backup:created':
      return show(paint('dim', `backup kept of ${e.backups.map((b) => b.path).join(', ')}`))
    case 'error':
      return show(`${paint('red', 'error')} ${e.error.message}`)
    default:
      return undefined
  }
}

/**
 * Saves an edit the way editors do (temp file renamed over), then waits for the transaction it
 * causes to finish (polling, with a limit). A plain write would leave the file empty for a
 * moment, which a busy machine can read and report as a change of its own.
 */
async function edit(rel, content) {
  const since = events.length
  await writeFileAtomic(join(root, rel), content)
  const deadline = Date.now() + 10_000
  while (!events.slice(since).some((e) => ['applied', 'rejected', 'rolled-back'].includes(e.type))) {
    if (Date.now() > deadline) throw new Error(`no transaction followed the edit of ${rel}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

try {
  show(`app config (secrets redacted): ${JSON.stringify(redact(configs.get('app')))}`)
  show(`pages/home renders: ${templates.render('pages/home', { site: 'Demo', greeting: configs.get('app').greeting }).trim().replace(/\n/g, ' ')}`)
  show(`css/app.css is served as ${assets.url('css/app.css')}`)

  say('1. A valid edit to config/app.yaml: validated, applied, announced with a diff')
  const appYaml = await readFile(join(root, 'config/app.yaml'), 'utf8')
  await edit('config/app.yaml', appYaml.replace('greeting: Hello', 'greeting: Welcome back'))
  show(`configs.get('app').greeting is now "${configs.get('app').greeting}"`)

  say('2. A broken edit with two wrong types: both reported with line:column, nothing applied')
  await edit('config/app.yaml', 'name: demo shop\ngreeting: 42\nserver:\n  port: 8080\napiToken: s3cr3t-demo-token\nfeatures:\n  banner: "yes"\n')
  show(`configs.get('app').greeting is still "${configs.get('app').greeting}"`)

  say('3. An edit to a key that needs a restart (server.port): rejected with the reason')
  await edit('config/app.yaml', appYaml.replace('greeting: Hello', 'greeting: Welcome back').replace('port: 8080', 'port: 9090'))

  say('4. Putting the file right again applies it')
  await edit('config/app.yaml', appYaml.replace('greeting: Hello', 'greeting: Good evening'))

  say('5. Editing a partial recompiles exactly the templates that use it')
  await edit('templates/partials/header.hbs', '<header class="top">{{site}}</header>\n')
  show(`pages/home renders: ${templates.render('pages/home', { site: 'Demo', greeting: configs.get('app').greeting }).trim().replace(/\n/g, ' ')}`)

  say('6. Editing a stylesheet updates the asset manifest and its fingerprinted URL')
  await edit('static/css/app.css', 'body { font-family: serif; color: #000; }\n')
  show(`css/app.css is now served as ${assets.url('css/app.css')}`)

  say('7. Every replaced version was backed up; restoring one goes through validation like an edit')
  const versions = await backups.list('config/app.yaml')
  // A backup's version is the transaction that replaced that content: "version 2" is what the
  // file held before version 2 applied.
  show(`backups of config/app.yaml (each is the content the file had before that version applied): ${versions.map((b) => `before version ${b.version} (${b.size} bytes)`).join(', ')}`)
  const first = versions[0]
  const restored = await backups.restore('config/app.yaml', first.version)
  show(`restore of the content before version ${first.version}: ${restored.status}; greeting is "${configs.get('app').greeting}"`)

  const s = reloader.status()
  say(`Done: version ${s.version}, ${s.counters.transactions} transactions (${s.counters.applied} applied, ${s.counters.rejected} rejected), ${s.counters.rawEvents} raw watcher events`)
  if (keepWatching) {
    show(`Still watching ${root}: edit files there, Ctrl-C to stop.`)
    await new Promise((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
  }
} finally {
  await reloader.close()
  await rm(root, { recursive: true, force: true })
}
