/**
 * One scale measurement in a fresh process, so RSS is not polluted by other contenders:
 * `node --expose-gc --conditions=source --import tsx scale-child.ts <chokidar|parcel|hotreload|hotreload-parcel> <root> <firstValue> <changes>`.
 * Prints one JSON line: { readyMs, rssBytes, heapBytes, files, latenciesMs }.
 */
import { watch } from 'chokidar'
import { createHotReload } from '@hotreload/core'
import configPlugin from '@hotreload/plugin-config'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { BenchConfigSchema } from './contenders/hotreload.js'
import { readValue } from './contenders/read-config.js'
import { collect } from './lib/child.js'
import { StateTracker } from './lib/contender.js'
import { configContent, sleep } from './lib/project.js'

interface Started {
  /** Files the contender reports watching, when it reports it. */
  readonly files: number | null
  close(): Promise<void>
}

const [contender, root, firstArg, changesArg] = process.argv.slice(2)
if ((contender !== 'chokidar' && contender !== 'parcel' && contender !== 'hotreload' && contender !== 'hotreload-parcel') || root === undefined) {
  throw new Error('usage: scale-child.ts <chokidar|parcel|hotreload|hotreload-parcel> <root> <firstValue> <changes>')
}
const first = Number(firstArg)
const changes = Number(changesArg)
const appFile = join(root, 'config', 'app.json')
const tracker = new StateTracker()

/** chokidar alone on the whole root, re-reading app.json on its change events. */
async function startChokidar(): Promise<Started> {
  const watcher = watch(root as string, { ignoreInitial: true })
  const failures: unknown[] = []
  watcher.on('change', (file) => {
    if (file !== appFile) return
    readValue(file).then(
      (value) => {
        if (value !== undefined) tracker.set('app', value)
      },
      (error: unknown) => failures.push(error),
    )
  })
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  return {
    files: null,
    async close() {
      await watcher.close()
      if (failures.length > 0) throw new AggregateError(failures, 'chokidar: reading app.json failed')
    },
  }
}

/**
 * @parcel/watcher alone on the whole root, re-reading app.json when a batch names it: the peer
 * of hotreload's parcel backend. Its one-change latency is parcel's own batch delay plus a read,
 * so hotreload's figure minus this one is what hotreload adds on that backend.
 */
async function startParcel(): Promise<Started> {
  const parcel = await import('@parcel/watcher')
  const failures: unknown[] = []
  const subscription = await parcel.subscribe(root as string, (error, events) => {
    if (error) failures.push(error)
    if (!events.some((event) => event.path === appFile && event.type !== 'delete')) return
    readValue(appFile).then(
      (value) => {
        if (value !== undefined) tracker.set('app', value)
      },
      (error: unknown) => failures.push(error),
    )
  })
  return {
    files: null,
    async close() {
      await subscription.unsubscribe()
      if (failures.length > 0) throw new AggregateError(failures, 'parcel: reading app.json failed')
    },
  }
}

/** hotreload with plugin-config over the same root (its default include covers config/ and static/). */
async function startHotreload(watcher: 'chokidar' | 'parcel'): Promise<Started> {
  const configs = configPlugin({ schemas: { app: BenchConfigSchema } })
  const reloader = await createHotReload({ root: root as string, debounceMs: 0, watcher, plugins: [configs] })
  const unsubscribe = configs.watch('app').subscribe((value) => {
    if (value !== undefined) tracker.set('app', value.value)
  })
  return {
    files: reloader.status().files,
    async close() {
      unsubscribe()
      await reloader.close()
    },
  }
}

collect()
const before = process.memoryUsage()
const t0 = performance.now()
const started =
  contender === 'chokidar' ? await startChokidar() : contender === 'parcel' ? await startParcel() : await startHotreload(contender === 'hotreload-parcel' ? 'parcel' : 'chokidar')
const readyMs = performance.now() - t0
collect()
const after = process.memoryUsage()

const latenciesMs: number[] = []
for (let k = 0; k < changes; k++) {
  const value = first + k
  // Short: a plain chokidar script misses some saves outright (see the README), and each miss
  // would otherwise cost the whole timeout.
  const delivered = tracker.waitFor(new Map([['app', value]]), 1000)
  await writeFile(appFile, configContent(value))
  const written = performance.now()
  const at = await delivered
  if (at !== null) latenciesMs.push(Math.max(0, at - written))
  await sleep(50)
}
await started.close()
console.log(JSON.stringify({ readyMs, rssBytes: after.rss - before.rss, heapBytes: after.heapUsed - before.heapUsed, files: started.files, latenciesMs, missed: changes - latenciesMs.length }))
