import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Type } from '@sinclair/typebox'
import { watch } from 'chokidar'
import { createHotReload, defineReloadHandler } from '@hotreload/core'
import configPlugin from '@hotreload/plugin-config'
import { configContent, makeProject, sleep, type TempProject } from '../lib/project.js'
import { summarize, type BenchRow } from '../lib/stats.js'

// Issue 11's single-save case: one small JSON file saved with `writeFileSync`, timed from just
// before the write to the moment the new value is in the subscriber's hands, with the watchers
// warm. The floor is the three-line script (chokidar, `readFileSync`, `JSON.parse`); hotreload
// runs with `debounceMs: 0`, once with only a handler of its own (core) and once with
// plugin-config (TypeBox schema, ajv). Timing from before the write (not after `writeFile`
// resolves, as the latency case does) counts the whole path for everyone alike.

const CASE = 'single save, debounce 0, warm watchers'
const FILE = 'config/app.json'

interface Live {
  readonly name: string
  readonly project: TempProject
  /** Resolves with the delivery instant once the value `expected` is delivered. */
  next(expected: number): Promise<number>
  close(): Promise<void>
}

function deliveries(): { deliver(value: number): void; next(expected: number): Promise<number> } {
  let waiting: { expected: number; resolve: (at: number) => void } | undefined
  return {
    deliver(value) {
      const at = performance.now()
      if (waiting && value === waiting.expected) {
        waiting.resolve(at)
        waiting = undefined
      }
    },
    next: (expected) => new Promise<number>((resolve) => (waiting = { expected, resolve })),
  }
}

const valueOf = (text: string): number => (JSON.parse(text) as { value: number }).value

async function rawChokidar(): Promise<Live> {
  const project = await makeProject('single-chokidar')
  await project.write(FILE, configContent(0))
  const d = deliveries()
  const watcher = watch(join(project.root, 'config'), { ignoreInitial: true })
  watcher.on('change', (path) => {
    try {
      d.deliver(valueOf(readFileSync(path, 'utf8')))
    } catch {
      // A save caught half-written: the next event brings the rest.
    }
  })
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  return { name: 'chokidar + readFileSync + JSON.parse', project, next: d.next, close: () => watcher.close() }
}

async function hotreloadCore(): Promise<Live> {
  const project = await makeProject('single-core')
  await project.write(FILE, configContent(0))
  const d = deliveries()
  // What a user's handler does: parse in validate (a bad file rejects), hand the value over in commit.
  const handler = defineReloadHandler({
    name: 'app-json',
    files: FILE,
    async validate(_change, ctx) {
      return valueOf((await ctx.read()).toString('utf8'))
    },
    commit(_change, ctx) {
      if (typeof ctx.staged === 'number') d.deliver(ctx.staged)
    },
  })
  const reloader = await createHotReload({ root: project.root, debounceMs: 0, audit: false, plugins: [handler] })
  return { name: 'hotreload core + handler (debounce 0)', project, next: d.next, close: () => reloader.close() }
}

async function hotreloadConfig(): Promise<Live> {
  const project = await makeProject('single-config')
  await project.write(FILE, configContent(0))
  const d = deliveries()
  const schema = Type.Object({ value: Type.Integer(), name: Type.String(), nested: Type.Object({ enabled: Type.Boolean(), list: Type.Array(Type.Integer()) }) })
  const configs = configPlugin({ schemas: { app: schema } })
  const reloader = await createHotReload({ root: project.root, debounceMs: 0, audit: false, plugins: [configs] })
  const unsubscribe = configs.watch('app').subscribe((config) => {
    if (config !== undefined) d.deliver(config.value)
  })
  return {
    name: 'hotreload + plugin-config (debounce 0)',
    project,
    next: d.next,
    async close() {
      unsubscribe()
      await reloader.close()
    },
  }
}

/**
 * Runs `rounds` saves per contender after `warmup`, alternating the contenders in a rotating
 * order, with `settleMs` between saves (chokidar drops a file's change events for 50 ms after
 * one it emitted). A save not delivered within 2 s counts as missed.
 */
export async function benchSingleSave(options: { rounds: number; warmup: number; settleMs: number; log: (line: string) => void }): Promise<BenchRow[]> {
  const lives: Live[] = []
  for (const start of [rawChokidar, hotreloadCore, hotreloadConfig]) lives.push(await start())
  const samples = new Map<Live, number[]>(lives.map((l) => [l, []]))
  const missed = new Map<Live, number>(lives.map((l) => [l, 0]))
  let value = 0
  for (let i = 0; i < options.warmup + options.rounds; i++) {
    const order = [...lives.slice(i % lives.length), ...lives.slice(0, i % lives.length)]
    for (const live of order) {
      const expected = ++value
      const delivered = live.next(expected)
      const timeout = sleep(2000).then(() => null)
      const before = performance.now()
      writeFileSync(join(live.project.root, FILE), configContent(expected))
      const at = await Promise.race([delivered, timeout])
      if (i >= options.warmup) {
        if (at === null) missed.set(live, (missed.get(live) ?? 0) + 1)
        else samples.get(live)?.push(at - before)
      }
      await sleep(options.settleMs)
    }
    if ((i + 1) % 20 === 0) options.log(`  single save: round ${i + 1}/${options.warmup + options.rounds}`)
  }
  for (const live of lives) {
    await live.close()
    await live.project.remove()
  }
  return lives.map((live, index) => {
    const n = missed.get(live) ?? 0
    return summarize(CASE, live.name, 'ms', samples.get(live) ?? [], { baseline: index === 0, note: n > 0 ? `missed ${n} saves` : '' })
  })
}
