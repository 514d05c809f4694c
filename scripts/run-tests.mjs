#!/usr/bin/env node
// Runs every test file with node's own test runner on the TypeScript sources (the `source`
// export condition + tsx), and ends with `N passed, N failed` taken from the runner's report.
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const skipDirs = new Set(['node_modules', 'dist', '.git', '.turbo', 'fixtures'])

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (skipDirs.has(name)) continue
    const full = join(dir, name)
    if (statSync(full).isDirectory()) findTests(full, out)
    else if (name.endsWith('.test.ts')) out.push(relative(root, full))
  }
  return out
}

const filter = process.argv.slice(2)
const files = [...findTests(join(root, 'packages')), ...findTests(join(root, 'test'))]
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort()
if (files.length === 0) {
  console.error('no test files found')
  process.exit(1)
}

const args = [
  '--conditions=source',
  '--import', 'tsx',
  '--test',
  '--test-concurrency=2',
  '--test-timeout=420000',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', '--test-reporter-destination=' + join(root, '.test-report.tap'),
  ...files,
]
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } })
child.on('exit', async (code, signal) => {
  const { readFile } = await import('node:fs/promises')
  let tap = ''
  try {
    tap = await readFile(join(root, '.test-report.tap'), 'utf8')
  } catch (error) {
    console.error(`could not read the test report: ${error.message}`)
  }
  // The TAP reporter's closing summary is the runner's own count of passed and failed tests.
  const count = (key) => Number((tap.match(new RegExp(`^# ${key} (\\d+)$`, 'm')) ?? [])[1] ?? 0)
  const passed = count('pass')
  // A test cancelled by its time limit did not pass: it counts as failed. A runner that crashed
  // before reporting failures still failed: count that as one.
  const reported = count('fail') + count('cancelled')
  const failed = reported + (code !== 0 && reported === 0 ? 1 : 0)
  // Tests that skip themselves (no Chromium, no redis-server) say so in the count.
  const skipped = count('skipped')
  console.log(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`)
  process.exit(code ?? (signal ? 1 : 0))
})
