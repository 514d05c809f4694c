// examples/express and examples/fastify in a child process, like the app-server test: each edit
// shows up over HTTP with no restart, and a bad edit never does.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { repoRoot, runCli } from './helpers/cli.js'
import { makeTempProject, waitFor } from './helpers/index.js'

for (const framework of ['express', 'fastify']) {
  test(`examples/${framework}: typed config, templates and assets reload without a restart`, { timeout: 120_000 }, async (t) => {
    const example = join(repoRoot, 'examples', framework)
    const p = await makeTempProject({})
    t.after(() => p.cleanup())
    for (const dir of ['config', 'templates', 'static']) await cp(join(example, dir), p.path(dir), { recursive: true })

    // The CLI reads the same hotreload.config.ts the server imports.
    const checked = await runCli(['check', '--config', join(example, 'hotreload.config.ts'), '--root', p.root], p.root)
    assert.equal(checked.code, 0, `${checked.stdout}\n${checked.stderr}`)
    assert.match(checked.stdout, /✓ valid \(4 files checked\)/)

    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(example, 'server.ts')], {
      cwd: repoRoot,
      env: { ...process.env, APP_ROOT: p.root, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    t.after(() => child.kill('SIGKILL'))
    const out: string[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d.toString()))
    child.stderr.on('data', (d: Buffer) => out.push(d.toString()))
    const base = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out.join(''))?.[1], { timeoutMs: 60_000, message: `the server to listen; output: ${out.join('')}` })
    const get = async (path: string) => (await fetch(base + path)).text()
    const pid = child.pid

    const first = await get('/')
    assert.match(first, new RegExp(`<h1>hotreload \\+ ${framework}</h1>`))
    const firstCss = /href="([^"]+)"/.exec(first)?.[1] ?? ''
    assert.match(firstCss, /^\/assets\/css\/site\.[0-9a-f]{8}\.css$/)
    assert.match(await get(firstCss), /font-family: sans-serif/)

    await p.save('config/site.json', `{ "title": "${framework} live", "message": "changed live", "port": 3000 }`)
    await waitFor(async () => (await get('/')).includes('changed live'), { timeoutMs: 20_000, message: 'the new message' })
    assert.deepEqual(JSON.parse(await get('/config')).site, { title: `${framework} live`, message: 'changed live', port: 3000 })

    const beforeBad = out.join('').length
    await p.save('config/site.json', '{ "title": "", "message": "must not show", "port": 3000 }')
    await waitFor(() => /rejected: config\/site\.json:\S* config "site": title /.test(out.join('').slice(beforeBad)), { timeoutMs: 20_000, message: 'the bad edit rejected' })
    const beforePort = out.join('').length
    await p.save('config/site.json', `{ "title": "${framework} live", "message": "changed live", "port": 4000 }`)
    await waitFor(() => /restart needed/.test(out.join('').slice(beforePort)), { timeoutMs: 20_000, message: 'the port change refused' })
    assert.match(await get('/'), /changed live/)
    await p.save('config/site.json', `{ "title": "${framework} live", "message": "changed live", "port": 3000 }`)

    await p.save('templates/partials/banner.hbs', '<h1 class="new">{{title}}</h1>\n')
    await waitFor(async () => (await get('/')).includes('<h1 class="new">'), { timeoutMs: 20_000, message: 'the new partial' })

    await p.save('static/css/site.css', 'body { font-family: serif; }\n')
    const newCss = await waitFor(async () => {
      const href = /href="([^"]+)"/.exec(await get('/'))?.[1]
      return href !== firstCss ? href : undefined
    }, { timeoutMs: 20_000, message: 'a new stylesheet URL' })
    assert.match(await get(newCss), /font-family: serif/)

    assert.equal(child.pid, pid)
    assert.equal(child.exitCode, null, 'the server never restarted')
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    child.kill('SIGTERM')
    assert.equal(await exited, 0)
  })
}
