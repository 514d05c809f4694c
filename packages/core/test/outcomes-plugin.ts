// A test plugin whose outcome each file chooses: `{"problem": "..."}` rejects (at line 1,
// column 2), `{"abort": "..."}` is voted down in prepare (aborted), `{"fail": "..."}` throws in
// apply (rolled back), anything else applies and is made visible in commit.
import type { Plugin } from '@hotreload/core'

export function outcomesPlugin(name = 'outcomes'): Plugin {
  return {
    name,
    apply(kernel) {
      // Declared with claimFiles, so the files are read and hashed at the initial load: a file
      // written back to its applied bytes is then an unchanged transaction.
      kernel.claimFiles(name, '**/*.json')
      kernel.hooks.validate.tapPromise(name, async (tx) => {
        for (const change of tx.claimed(name)) {
          if (change.kind === 'deleted') continue
          const value = JSON.parse((await tx.read(change)).toString('utf8')) as { problem?: string }
          if (value.problem !== undefined) tx.problem({ plugin: name, code: 'HR_TEST', message: value.problem, path: change.path, line: 1, column: 2 })
        }
      })
      kernel.hooks.prepare.tapPromise(name, async (tx) => {
        for (const change of tx.claimed(name)) {
          if (change.kind === 'deleted') continue
          const value = JSON.parse((await tx.read(change)).toString('utf8')) as { abort?: string }
          if (value.abort !== undefined) tx.abort({ code: 'HR_TEST_ABORT', message: value.abort, plugin: name })
        }
      })
      kernel.hooks.commit.tap(name, () => undefined)
      kernel.hooks.notify.tapPromise(name, async () => undefined)
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
