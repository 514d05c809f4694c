import { watchConfig } from 'c12'
import { writeFile } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Contender, Watching } from '../lib/contender.js'
import { StateTracker } from '../lib/contender.js'
import { sleep } from '../lib/project.js'

interface Layer {
  readonly config: unknown
  readonly configFile?: string | undefined
}

/** The file c12 loads when several configs are watched: it `extends` each of them as a layer. */
const INDEX_NAME = '_c12-index'

/**
 * c12 loads `.json` through jiti, whose JSON import is cached for the life of the process
 * (c12 3.3.4 + jiti 2.7: the value never changes after the first load, `moduleCache: false`
 * notwithstanding). `.jsonc` goes through confbox and re-reads the file, so c12 is measured on
 * `.jsonc` files with the same bytes: measuring a contender that never reloads would say nothing.
 */
const EXTENSION = '.jsonc'

/** After close, c12's in-flight reloads keep reading; wait for this much silence before the files go. */
const DRAIN_QUIET_MS = 300

function valueOf(config: unknown): number | undefined {
  if (typeof config === 'object' && config !== null && 'value' in config && typeof config.value === 'number') return config.value
  return undefined
}

/**
 * c12's `watchConfig`; `debounce: false` attaches its reload straight to chokidar's events,
 * undefined keeps c12's default (100 ms). One config is c12's config file; several are layers
 * of an index file, which is how c12 composes configs, and c12 watches every layer's file.
 */
export function c12Contender(debounce: false | undefined): Contender {
  return {
    name: debounce === false ? 'c12 watchConfig (debounce off)' : 'c12 watchConfig (default debounce)',
    extension: EXTENSION,
    async start(root, names): Promise<Watching> {
      const tracker = new StateTracker()
      const cwd = join(root, 'config')
      let configFile = names[0] ?? 'app'
      if (names.length > 1) {
        configFile = INDEX_NAME
        await writeFile(join(cwd, `${INDEX_NAME}${EXTENSION}`), JSON.stringify({ extends: names.map((n) => `./${n}${EXTENSION}`) }))
      }
      let lastActivity = performance.now()
      const take = (layers: readonly Layer[] | undefined) => {
        lastActivity = performance.now()
        tracker.reloaded()
        for (const layer of layers ?? []) {
          if (layer.configFile === undefined) continue
          const name = basename(layer.configFile, extname(layer.configFile))
          const value = valueOf(layer.config)
          if (name !== INDEX_NAME && value !== undefined) tracker.set(name, value)
        }
      }
      const watcher = await watchConfig({
        cwd,
        configFile,
        ...(debounce === false ? { debounce } : {}),
        dotenv: false,
        rcFile: false,
        globalRc: false,
        packageJson: false,
        giget: false,
        envName: false,
        onWatch: () => {
          lastActivity = performance.now()
        },
        onUpdate: ({ newConfig }) => take(newConfig.layers),
      })
      take(watcher.layers)
      return {
        waitFor: (expected, timeoutMs) => tracker.waitFor(expected, timeoutMs),
        reloads: () => tracker.reloads(),
        snapshot: async () => tracker.snapshot(),
        async close() {
          await watcher.unwatch()
          const deadline = performance.now() + 30_000
          while (performance.now() - lastActivity < DRAIN_QUIET_MS && performance.now() < deadline) await sleep(50)
        },
      }
    },
  }
}
