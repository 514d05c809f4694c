import type { FileChange } from './changes.js'
import { globTest } from './glob-test.js'
import type { KernelHooks } from './hooks.js'
import type { ClaimOptions } from './plugin.js'
import type { ReadNeedsRegistry } from './read-needs.js'

// Enough to remember every path of a large tree; past it the cache starts again, so a process
// that sees ever-new paths (generated names) does not grow without bound.
const MAX_CACHED_ANSWERS = 50_000

/**
 * `kernel.claimFiles()`: watches `globs` (through `include`) and claims, in detect, each change
 * whose path (or, for a rename, former path) matches and passes `filter`. Matcher answers are
 * cached per path: the same files change again and again, and picomatch was on every event.
 * The local-files source reads and hashes only claimed files at once (see read-needs.ts), unless
 * `options.fingerprint` is `'stat'`, and never reads one over `options.maxFileBytes`. Returns the removal of the globs and the claim.
 */
export function claimFiles(
  hooks: KernelHooks,
  include: (globs: readonly string[]) => () => void,
  plugin: string,
  globs: string | readonly string[],
  filter?: (change: FileChange) => boolean,
  options: ClaimOptions = {},
  reads?: ReadNeedsRegistry,
): () => void {
  const list = typeof globs === 'string' ? [globs] : [...globs]
  const test = globTest(list)
  const answers = new Map<string, boolean>()
  const matches = (path: string): boolean => {
    let answer = answers.get(path)
    if (answer === undefined) {
      if (answers.size >= MAX_CACHED_ANSWERS) answers.clear()
      answers.set(path, (answer = test(path)))
    }
    return answer
  }
  let active = true
  const removeGlobs = include(list)
  // A stat-fingerprinted claim asks the core to read nothing, at start or at a change.
  const removeReads = reads?.add(list, options.maxFileBytes, options.fingerprint === 'stat')
  hooks.detect.tap(plugin, (changes, tx) => {
    if (!active) return changes
    for (const change of changes) {
      const owned = matches(change.path) || (change.from !== undefined && matches(change.from))
      if (owned && (filter?.(change) ?? true)) tx.claim(plugin, change)
    }
    return changes
  })
  return () => {
    if (!active) return
    active = false
    removeGlobs()
    removeReads?.()
  }
}
