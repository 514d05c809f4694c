/**
 * One soak run of hotreload + plugin-config in a fresh process:
 * `node --expose-gc --conditions=source --import tsx soak-child.ts <force|writes> <count>`.
 * `force` runs `count` transactions with `reload({ force: true })` (the whole transaction path,
 * no watcher timing); `writes` rewrites the config `count` times (debounce 0) and waits for each
 * value to reach the subscriber. Heap is measured after a warm-up and at the end, both after a
 * full GC; handles still alive after close() are compared with those before start.
 * Prints one JSON line: { heapGrowthBytes, perReloadMs, applied, missed, leftoverHandles }.
 */
import { createHotReload } from '@hotreload/core'
import configPlugin from '@hotreload/plugin-config'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { BenchConfigSchema } from './contenders/hotreload.js'
import { collect } from './lib/child.js'
import { StateTracker } from './lib/contender.js'
import { configContent, makeProject, sleep } from './lib/project.js'

const WARMUP = 200
const TIMEOUT_MS = 2000
/** Pause between writes, so each write is its own transaction rather than a coalesced batch. */
const WRITE_GAP_MS = 10

const [mode, countArg] = process.argv.slice(2)
if (mode !== 'force' && mode !== 'writes') throw new Error('usage: soak-child.ts <force|writes> <count>')
const count = Number(countArg)

/** Resource kinds alive now, counted (a multiset: two timers are two entries). */
function resources(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1)
  return counts
}

function leftover(before: Map<string, number>): string[] {
  const out: string[] = []
  for (const [kind, n] of resources()) {
    const extra = n - (before.get(kind) ?? 0)
    if (extra > 0) out.push(`${extra} ${kind}`)
  }
  return out
}

const project = await makeProject(`soak-${mode}`)
const file = join(project.root, 'config', 'app.json')
await project.write('config/app.json', configContent(0))
const handlesBefore = resources()
const configs = configPlugin({ schemas: { app: BenchConfigSchema } })
const reloader = await createHotReload({ root: project.root, debounceMs: 0, plugins: [configs] })
const tracker = new StateTracker()
const unsubscribe = configs.watch('app').subscribe((value) => {
  if (value !== undefined) tracker.set('app', value.value)
})

let value = 0
let missed = 0
let applied = 0
const perReloadMs: number[] = []
async function once(record: boolean): Promise<void> {
  const begin = performance.now()
  if (mode === 'force') {
    const result = await reloader.reload({ force: true })
    if (result.status === 'applied') applied++
    if (record) perReloadMs.push(performance.now() - begin)
    return
  }
  value++
  const delivered = tracker.waitFor(new Map([['app', value]]), TIMEOUT_MS)
  await writeFile(file, configContent(value))
  const at = await delivered
  if (at === null) missed++
  else {
    applied++
    if (record) perReloadMs.push(at - begin)
  }
  await sleep(WRITE_GAP_MS)
}

for (let i = 0; i < WARMUP; i++) await once(false)
applied = 0
missed = 0
collect()
const heapBefore = process.memoryUsage().heapUsed
for (let i = 0; i < count; i++) await once(true)
collect()
const heapGrowthBytes = process.memoryUsage().heapUsed - heapBefore
unsubscribe()
await reloader.close()
// Handles close asynchronously; give them a bounded moment before counting what is left.
let left = leftover(handlesBefore)
for (let i = 0; i < 20 && left.length > 0; i++) {
  await sleep(50)
  left = leftover(handlesBefore)
}
await project.remove()
console.log(JSON.stringify({ heapGrowthBytes, perReloadMs, applied, missed, leftoverHandles: left }))
