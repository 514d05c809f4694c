import { createStagingKey, toProblem, type FileChange, type Kernel, type Transaction } from '@hotreload/core'
import picomatch from 'picomatch'
import { buildGeneration, type BuildResult, type TemplateChange } from './build.js'
import { createTemplateCache } from './cache.js'
import { TemplateReadError } from './errors.js'
import { templateFileOf } from './naming.js'
import { resolveTemplatesOptions } from './options.js'
import type { EngineCompiler, TemplateFile, TemplatesPlugin, TemplatesPluginOptions } from './types.js'

/**
 * Creates the templates plugin. Add it to `plugins`; after `createHotReload` resolves, call
 * `render(name, data)` on it. Each transaction parses and compiles the changed templates and
 * their dependents in validate (a syntax error or a missing partial rejects it and the previous
 * set keeps serving), and puts the new set in service in commit, so a transaction that rolls
 * back or aborts is never rendered; then it emits `template:updated`. Throws an `OptionsError`
 * or `TemplatesOptionsError` for bad options.
 */
export function templatesPlugin(options: TemplatesPluginOptions): TemplatesPlugin {
  const { name, engine, rules, files } = resolveTemplatesOptions(options)
  const matches = picomatch([...files], { dot: false })
  const control = createTemplateCache()
  const key = createStagingKey<BuildResult>(name)

  const fileOf = (path: string, absolutePath: string): TemplateFile | undefined => (matches(path) ? templateFileOf(path, absolutePath, rules) : undefined)
  const owns = (path: string): boolean => fileOf(path, path) !== undefined

  const toTemplateChange = async (tx: Transaction, change: FileChange): Promise<TemplateChange> => {
    const removedPath = change.kind === 'deleted' ? change.path : change.kind === 'renamed' && change.from !== undefined && owns(change.from) ? change.from : undefined
    const file = change.kind === 'deleted' ? undefined : fileOf(change.path, change.absolutePath)
    if (!file) return { kind: change.kind, path: change.path, removedPath }
    const source = (await tx.read(change)).toString('utf8')
    return { kind: change.kind, path: change.path, removedPath, added: { file, source } }
  }

  const validate = async (compiler: EngineCompiler, tx: Transaction): Promise<void> => {
    const claimed = tx.claimed(name)
    if (claimed.length === 0) return
    const changes: TemplateChange[] = []
    let unreadable = false
    await Promise.all(
      claimed.map(async (change, i) => {
        try {
          changes[i] = await toTemplateChange(tx, change)
        } catch (error) {
          unreadable = true
          tx.problem(toProblem(new TemplateReadError(change.path, error), name))
        }
      }),
    )
    if (unreadable) return
    const result = buildGeneration(control.current(), changes, compiler, rules)
    for (const problem of result.problems) tx.problem(toProblem(problem, name))
    if (result.generation && (result.compiled.length > 0 || result.removed.length > 0)) tx.stage(key, result)
  }

  const commit = (tx: Transaction): void => {
    const result = tx.staged(key)
    if (!result?.generation) return
    control.install(result.generation, result.compiled.length)
    tx.emit({
      type: 'template:updated',
      plugin: name,
      engine: engine.name,
      names: result.compiled,
      removed: result.removed,
      causes: result.causes,
      paths: [...new Set(result.causes.map((c) => c.path))],
    })
  }

  return {
    name,
    ...control.cache,
    async apply(kernel: Kernel): Promise<void> {
      const compiler = await engine.load()
      kernel.claimFiles(name, files, (change) => owns(change.path) || (change.from !== undefined && owns(change.from)))
      kernel.hooks.validate.tapPromise(name, (tx) => validate(compiler, tx))
      kernel.hooks.commit.tap(name, commit)
    },
  }
}
