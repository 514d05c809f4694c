// Issue 12 through the real `hotreload --json` CLI (built packages, a child process, real files):
// every bad config file is rejected with its file, line:column and code, the last good value
// keeps serving, nothing prints a process warning, and secrets stay out of the output.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { linkNodeModules, startCli, type RunningCli } from '../../../test/helpers/cli.js'
import { makeTempProject, type TempProject } from '../../../test/helpers/index.js'

const CONFIG = `import { defineConfig } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import { Type } from '@sinclair/typebox'

export default defineConfig({
  debounceMs: 20,
  plugins: [
    config({
      env: 'test',
      schemas: {
        app: Type.Object({
          port: Type.Integer({ minimum: 1, maximum: 65535 }),
          db: Type.Object({ password: Type.String({ minLength: 12 }), url: Type.String({ format: 'uri' }) }),
        }),
      },
    }),
  ],
})
`

const GOOD_APP = 'port: 8080\ndb:\n  password: correct-horse-battery\n  url: postgres://db.internal/app\n'
const MiB = 1024 * 1024

interface Problem {
  code: string
  path?: string
  line?: number
  column?: number
  message: string
  hint?: string
  keyPath?: string
}

async function start(t: { after: (fn: () => unknown) => void }): Promise<{ p: TempProject; cli: RunningCli; ready: number }> {
  const p = await makeTempProject({ 'hotreload.config.ts': CONFIG, 'config/app.yaml': GOOD_APP })
  await linkNodeModules(p.root)
  const cli = startCli(['--json'], p.root)
  t.after(async () => {
    cli.child.kill('SIGKILL')
    await cli.exit()
    await p.cleanup()
  })
  const ready = await cli.waitForJson((e) => e.type === 'ready', 'ready')
  return { p, cli, ready: ready['version'] as number }
}

/** Saves `path` (temp + rename), waits for the rejection that names it, and returns that file's problems. */
async function rejectionOf(p: TempProject, cli: RunningCli, path: string, content: string | Uint8Array): Promise<Problem[]> {
  await p.save(path, content)
  const event = await cli.waitForJson(
    (e) => e.type === 'rejected' && (e['problems'] as Problem[]).some((problem) => problem.path === path),
    `rejected naming ${path}`,
  )
  return (event['problems'] as Problem[]).filter((problem) => problem.path === path)
}

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((x) => (typeof x === 'string' ? Buffer.from(x, 'utf8') : Buffer.from(x))))

test('every bad config file is rejected through the CLI with file, line:column and a hint, while v1 keeps serving', async (t) => {
  const { p, cli, ready } = await start(t)
  // [file, content, code, line, column, message]
  const cases: [string, string | Uint8Array, string, number, number, RegExp][] = [
    ['config/utf8.json', bytes('{\n  "name": "', [0xff, 0xfe], '"\n}\n'), 'HR_CONFIG_PARSE', 2, 12, /not valid UTF-8/],
    ['config/utf8.yaml', bytes('name: x', [0xc0, 0xaf], '\n'), 'HR_CONFIG_PARSE', 1, 8, /not valid UTF-8/],
    ['config/utf8.toml', bytes('a = 1\nname = "', [0xff], '"\n'), 'HR_CONFIG_PARSE', 2, 9, /not valid UTF-8/],
    ['config/alias.yaml', 'a: 1\nname: *nope\n', 'HR_CONFIG_PARSE', 2, 7, /alias \*nope refers to no anchor/],
    ['config/early.yaml', 'first: *base\nbase: &base { x: 1 }\n', 'HR_CONFIG_PARSE', 1, 8, /used before its anchor/],
    ['config/merge.yaml', 'base:\n  <<: 1\n', 'HR_CONFIG_PARSE', 2, 7, /merge key <</],
    ['config/mergelist.yaml', 'base:\n  <<: [1, 2]\n', 'HR_CONFIG_PARSE', 2, 8, /merge key <</],
    ['config/nul.yaml', 'name: a\u0000b\n', 'HR_CONFIG_PARSE', 1, 8, /U\+0000 \(NUL\)/],
    ['config/key.yaml', '? [a, b]\n: 1\n', 'HR_CONFIG_UNSUPPORTED_VALUE', 1, 3, /mapping key is a list or a mapping/],
    ['config/feb30.toml', 'd = 1979-02-30\n', 'HR_CONFIG_PARSE', 1, 5, /date does not exist/],
    ['config/feb29.toml', 'd = 1979-02-29\n', 'HR_CONFIG_PARSE', 1, 5, /date does not exist/],
    ['config/apr31.toml', 'd = 1979-04-31\n', 'HR_CONFIG_PARSE', 1, 5, /date does not exist/],
    ['config/comma.toml', 't = { a = 1, }\n', 'HR_CONFIG_PARSE', 1, 14, /TOML 1\.1 syntax is not accepted/],
    ['config/newline.toml', 't = { a = 1,\n  b = 2 }\n', 'HR_CONFIG_PARSE', 2, 3, /TOML 1\.1 syntax is not accepted/],
    ['config/big.json', '{"id": 9007199254740993}', 'HR_CONFIG_UNSUPPORTED_VALUE', 1, 8, /too large to be read exactly/],
    ['config/big.yaml', 'id: 9007199254740993\n', 'HR_CONFIG_UNSUPPORTED_VALUE', 1, 5, /too large to be read exactly/],
    ['config/big.toml', 'id = 9007199254740993\n', 'HR_CONFIG_UNSUPPORTED_VALUE', 1, 6, /too large to be read exactly/],
    ['config/proto.json', '{\n  "__proto__": { "admin": true }\n}', 'HR_CONFIG_UNSAFE_KEY', 2, 3, /"__proto__" is not allowed/],
    ['config/ctor.yaml', 'a:\n  constructor: 1\n', 'HR_CONFIG_UNSAFE_KEY', 2, 3, /"constructor" is not allowed/],
    ['config/prototype.toml', '[a]\nprototype = 1\n', 'HR_CONFIG_UNSAFE_KEY', 2, 1, /"prototype" is not allowed/],
  ]
  for (const [path, content, code, line, column, message] of cases) {
    const found = await rejectionOf(p, cli, path, content)
    // One problem per bad node: `<<: [1, 2]` has two.
    assert.equal(found.length, path === 'config/mergelist.yaml' ? 2 : 1, `${path}: ${JSON.stringify(found)}`)
    const [problem] = found
    assert.deepEqual([problem?.code, problem?.line, problem?.column], [code, line, column], `${path}: ${problem?.message}`)
    assert.match(problem?.message ?? '', message, path)
    assert.ok(problem?.hint, `${path} has a hint`)
  }
  // Nothing was applied meanwhile, the app config kept its value, and no file made the process warn.
  const rejected = cli.json().filter((e) => e.type === 'rejected')
  assert.equal(rejected.length, cases.length)
  assert.ok(rejected.every((e) => e['version'] === ready))
  await p.save('config/app.yaml', GOOD_APP.replace('8080', '8081'))
  const applied = await cli.waitForJson((e) => e.type === 'config:changed' && e['name'] === 'app' && e['version'] === ready + 1, 'app changed after the rejections')
  assert.deepEqual(applied['diff'], [{ kind: 'changed', path: 'port', keys: ['port'], oldValue: 8080, newValue: 8081 }])
  assert.doesNotMatch(cli.stderr.join('\n'), /Warning/)
})

test('deep nesting of up to 1 MiB is rejected by the CLI in every format, with the position, and the process lives on', async (t) => {
  const { p, cli, ready } = await start(t)
  const cases: [string, string][] = [
    ['config/deep.yaml', `a:\n${'- '.repeat(MiB / 2 - 8)}x\n`],
    ['config/flow.yaml', `a: ${'['.repeat(MiB - 8)}`],
    ['config/deep.json', `{"a": ${'['.repeat(MiB - 16)}`],
    ['config/dotted.toml', `a${'.a'.repeat(MiB / 2 - 8)} = 1\n`],
    ['config/header.toml', `[a${'.a'.repeat(MiB / 2 - 8)}]\n`],
  ]
  for (const [path, content] of cases) {
    assert.ok(Buffer.byteLength(content) <= MiB, `${path} fits maxFileBytes`)
    const [problem, ...rest] = await rejectionOf(p, cli, path, content)
    assert.equal(rest.length, 0)
    assert.equal(problem?.code, 'HR_CONFIG_UNSUPPORTED_VALUE', path)
    assert.match(problem?.message ?? '', /values nest deeper than 100 levels/)
    assert.ok(problem?.line === 1 || problem?.line === 2, `${path} at ${problem?.line}:${problem?.column}`)
    assert.ok(typeof problem?.column === 'number')
  }
  await p.save('config/app.yaml', GOOD_APP.replace('8080', '9090'))
  await cli.waitForJson((e) => e.type === 'config:changed' && e['version'] === ready + 1, 'app changed after the deep files')
})

test('an oversized file and an alias bomb are problems that name the file (and the first alias)', async (t) => {
  const { p, cli } = await start(t)
  const [big] = await rejectionOf(p, cli, 'config/huge.json', `{"a": "${'x'.repeat(MiB + 10)}"}`)
  assert.equal(big?.code, 'HR_CONFIG_TOO_LARGE')
  assert.match(big?.message ?? '', /over the 1048576-byte limit/)

  let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
  const names = 'abcdefghij'
  for (let i = 1; i < names.length; i++) bomb += `${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(',')}]\n`
  const [aliases] = await rejectionOf(p, cli, 'config/bomb.yaml', bomb)
  assert.deepEqual([aliases?.code, aliases?.line, aliases?.column], ['HR_CONFIG_ALIASES', 2, 8])
})

test('values of redacted keys never appear in the messages of rejections', async (t) => {
  const { p, cli } = await start(t)
  const secret = 'hunter2-is-short'.slice(0, 7)
  // A schema error on the secret itself (too short), and one beside it that mentions the key.
  const schema = await rejectionOf(p, cli, 'config/app.yaml', `port: 8080\ndb:\n  password: ${secret}\n  url: ${secret}\n`)
  assert.deepEqual(schema.map((x) => x.keyPath).sort(), ['db.password', 'db.url'])
  // A number a secret key holds that cannot be read exactly.
  const token = '12345678901234567890123'
  const [lossy] = await rejectionOf(p, cli, 'config/tokens.yaml', `api:\n  token: ${token}\n`)
  assert.equal(lossy?.code, 'HR_CONFIG_UNSUPPORTED_VALUE')
  const out = cli.stdout.join('\n')
  assert.ok(!out.includes(secret), out)
  assert.ok(!out.includes(token), out)
})
