import { watch } from 'node:fs'
import type { Contender, Watching } from '../lib/contender.js'
import { StateTracker } from '../lib/contender.js'
import { configNameOf, configPath, readValue } from './read-config.js'
import { join } from 'node:path'

/** The floor: one `fs.watch` on the config directory, JSON.parse on every event, no debounce. */
export const fsWatchContender: Contender = {
  name: 'fs.watch + JSON.parse',
  async start(root, names): Promise<Watching> {
    const tracker = new StateTracker()
    const load = async (name: string) => {
      const value = await readValue(configPath(root, name))
      tracker.reloaded()
      if (value !== undefined) tracker.set(name, value)
    }
    const failures: unknown[] = []
    await Promise.all(names.map(load))
    const watcher = watch(join(root, 'config'), (_event, filename) => {
      const name = filename === null ? undefined : configNameOf(filename)
      if (name !== undefined) load(name).catch((error: unknown) => failures.push(error))
    })
    return {
      waitFor: (expected, timeoutMs) => tracker.waitFor(expected, timeoutMs),
      reloads: () => tracker.reloads(),
      snapshot: async () => tracker.snapshot(),
      async close() {
        watcher.close()
        if (failures.length > 0) throw new AggregateError(failures, 'fs.watch contender: reads failed')
      },
    }
  },
}
