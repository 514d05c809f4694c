import { toProblem, type FileChange, type Kernel, type Plugin, type Transaction } from '@hotreload/core'
import picomatch from 'picomatch'
import { buildGeneration, type BuildResult, type TemplateChange } from './build.js'
import { createTemplateCache, type TemplateCache } from './cache.js'
import { TemplateReadError, TemplatesOptionsError } from './errors.js'
import { normaliseDir, templateFileOf, type NamingRules } from './naming.js'
import type { EngineCompiler, TemplateEngine, TemplateFile } from './types.js'

/** Options of `templatesPlugin()`. */
export interface TemplatesPluginOptions {
  /** The engine adapter: `handlebars()`, `eta()` or `customEngine({...})`. */
  engine: TemplateEngine
  /** Templates directory, relative to the root; names are relative to it. Default `templates`. */
  dir?: string
  /** picomatch globs (relative to the root) of the files to watch. Default `<dir>/**\/*`. */
  files?: string | readonly string[]
  /** Directory under `dir` whose files are partials named without this prefix. Default `partials`. */
  partialsDir?: string
  /** Plugin name, shown in problems and events; give each instance its own. Default `templates`. */
  name?: string
}

/** The plugin and, once the kernel has applied it, the app's compiled-template cache. */
export interface TemplatesPlugin extends Plugin, TemplateCache {}

/**
 * Creates the templates plugin. Add it to `plugins`; after `createHotReload` resolves, call
 * `render(name, data)` on it. Each transaction parses and compiles the changed templates and
 * their dependents in validate (a syntax error or a missing partial rejects it and the previous
 * set keeps serving), swaps the new set in on apply, and emits `template:updated`.
 */
export function templatesPlugin(options: TemplatesPluginOptions): TemplatesPlugin {
  const { engine } = options ?? {}
  if (!engine || typeof engine.load !== 'function' || !Array.isArray(engine.extensions)) {
    throw new TemplatesOptionsError('templatesPlugin() needs an `engine`', {
      hint: "Pass one, e.g. templatesPlugin({ engine: handlebars() }) with `import { handlebars } from '@hotreload/plugin-templates'`.",
    })
  }
  if (engine.extensions.length === 0 || engine.extensions.some((e) => !e.startsWith('.'))) {
    throw new TemplatesOptionsError(`The ${engine.name} engine's extensions must be non-empty and start with a dot, got ${JSON.stringify(engine.extensions)}`)
  }
  const name = options.name ?? 'templates'
  const rules: NamingRules = Object.freeze({
    dir: normaliseDir(options.dir ?? 'templates'),
    partialsDir: normaliseDir(options.partialsDir ?? 'partials'),
    extensions: engine.extensions,
  })
  const globs = options.files === undefined ? [rules.dir ? `${rules.dir}/**/*` : '**/*'] : typeof options.files === 'string' ? [options.files] : [...options.files]
  const matches = picomatch(globs, { dot: false })
  const control = createTemplateCache()
  const staged = new WeakMap<Transaction, BuildResult>()
  let applied = false

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
    // A superseded transaction stops quietly; its successor sees the same files.
    if (unreadable || tx.signal.aborted) return
    const result = buildGeneration(control.current(), changes, compiler, rules)
    for (const problem of result.problems) tx.problem(toProblem(problem, name))
    if (result.generation && (result.compiled.length > 0 || result.removed.length > 0)) staged.set(tx, result)
  }

  const apply = (tx: Transaction): void => {
    const result = staged.get(tx)
    if (!result?.generation) return
    const previous = control.snapshot()
    tx.onRollback(name, () => control.restore(previous))
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
      if (applied) throw new TemplatesOptionsError(`The templates plugin "${name}" was already added to a hotreload instance`, { hint: 'Create one templatesPlugin() per instance.' })
      applied = true
      const compiler = await engine.load()
      kernel.include(globs)
      kernel.hooks.detect.tap(name, (changes, tx) => {
        for (const change of changes) {
          if (owns(change.path) || (change.from !== undefined && owns(change.from))) tx.claim(name, change)
        }
        return changes
      })
      kernel.hooks.validate.tapPromise(name, (tx) => validate(compiler, tx))
      kernel.hooks.apply.tap(name, apply)
    },
  }
}
