// A test plugin whose outcome each file chooses: `{"problem": "..."}` rejects (at line 1,
// column 2), `{"fail": "..."}` throws in apply (rolled back), anything else applies.
import type { Plugin } from '@hotreload/core'

export function outcomesPlugin(name = 'outcomes'): Plugin {
  return {
    name,
    apply(kernel) {
      kernel.hooks.detect.tap(name, (changes, tx) => {
        for (const c of changes) if (c.path.endsWith('.json')) tx.claim(name, c)
        return changes
      })
      kernel.hooks.validate.tapPromise(name, async (tx) => {
        for (const change of tx.claimed(name)) {
          if (change.kind === 'deleted') continue
          const value = JSON.parse((await tx.read(change)).toString('utf8')) as { problem?: string }
          if (value.problem !== undefined) tx.problem({ plugin: name, code: 'HR_TEST', message: value.problem, path: change.path, line: 1, column: 2 })
        }
      })
      kernel.hooks.apply.tapPromise(name, async (tx) => {
        tx.onRollback(name, () => undefined)
        for (const change of tx.claimed(name)) {
          if (change.kind === 'deleted') continue
          const value = JSON.parse((await tx.read(change)).toString('utf8')) as { fail?: string }
          if (value.fail !== undefined) throw new Error(value.fail)
        }
      })
    },
  }
}
