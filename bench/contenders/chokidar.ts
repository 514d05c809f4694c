import { watch } from 'chokidar'
import { join } from 'node:path'
import type { Contender, Watching } from '../lib/contender.js'
import { StateTracker } from '../lib/contender.js'
import { configNameOf, configPath, readValue } from './read-config.js'

/** The script most people write: chokidar with its defaults, JSON.parse on `add`/`change`. */
export const chokidarContender: Contender = {
  name: 'chokidar + JSON.parse',
  async start(root, names): Promise<Watching> {
    const tracker = new StateTracker()
    const failures: unknown[] = []
    const load = async (name: string) => {
      const value = await readValue(configPath(root, name))
      tracker.reloaded()
      if (value !== undefined) tracker.set(name, value)
    }
    await Promise.all(names.map(load))
    const watcher = watch(join(root, 'config'), { ignoreInitial: true })
    watcher.on('all', (event, file) => {
      const name = configNameOf(file)
      if ((event === 'add' || event === 'change') && name !== undefined) load(name).catch((error: unknown) => failures.push(error))
    })
    watcher.on('error', (error: unknown) => failures.push(error))
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
    return {
      waitFor: (expected, timeoutMs) => tracker.waitFor(expected, timeoutMs),
      reloads: () => tracker.reloads(),
      snapshot: async () => tracker.snapshot(),
      async close() {
        await watcher.close()
        if (failures.length > 0) throw new AggregateError(failures, 'chokidar contender: reads failed')
      },
    }
  },
}
