import { Type } from '@sinclair/typebox'
import { createHotReload } from '@hotreload/core'
import configPlugin from '@hotreload/plugin-config'
import type { Contender, Watching } from '../lib/contender.js'
import { StateTracker } from '../lib/contender.js'

/** The schema every bench config is validated against: what `configContent()` writes. */
export const BenchConfigSchema = Type.Object({
  value: Type.Integer(),
  name: Type.String(),
  nested: Type.Object({ enabled: Type.Boolean(), list: Type.Array(Type.Integer()) }),
})

/**
 * hotreload with plugin-config: the value is held once the typed stream of `configs.watch(name)`
 * delivers it, i.e. after detect, validate, apply and commit.
 */
export function hotreloadContender(debounceMs: number | undefined): Contender {
  return {
    name: debounceMs === undefined ? 'hotreload (default debounce)' : `hotreload (debounce ${debounceMs})`,
    async start(root, names): Promise<Watching> {
      const tracker = new StateTracker()
      const configs = configPlugin({ schemas: Object.fromEntries(names.map((name) => [name, BenchConfigSchema])) })
      const reloader = await createHotReload({ root, ...(debounceMs === undefined ? {} : { debounceMs }), plugins: [configs] })
      const unsubscribes = [
        reloader.on('applied', () => tracker.reloaded()),
        reloader.on('rejected', () => tracker.reloaded()),
        reloader.on('rolled-back', () => tracker.reloaded()),
        ...names.map((name) =>
          configs.watch(name).subscribe((config) => {
            if (config !== undefined) tracker.set(name, config.value)
          }),
        ),
      ]
      for (const name of names) tracker.set(name, configs.get(name).value)
      return {
        waitFor: (expected, timeoutMs) => tracker.waitFor(expected, timeoutMs),
        reloads: () => tracker.reloads(),
        snapshot: async () => tracker.snapshot(),
        async close() {
          for (const unsubscribe of unsubscribes) unsubscribe()
          await reloader.close()
        },
      }
    },
  }
}
