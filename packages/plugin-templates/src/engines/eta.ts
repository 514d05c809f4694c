import { Script } from 'node:vm'
import type { EtaConfig, Eta as EtaCore, TemplateFunction } from 'eta/core'
import { TemplateSyntaxError } from '../errors.js'
import type { EngineCompiler, EngineGeneration, TemplateAnalysis, TemplateDependency, TemplateEngine, TemplateFile, TemplateRender } from '../types.js'
import { loadPeer } from './load.js'

/** Options of the Eta adapter. */
export interface EtaEngineOptions {
  /** File extensions compiled as templates. Default `['.eta']`. */
  extensions?: readonly string[]
  /** Eta configuration; file options (`views`, `cache`) do not apply: templates come from the plugin. */
  config?: EtaEngineConfig
}

/**
 * The Eta settings the adapter passes through, declared here rather than taken from the `eta`
 * types so this package's types load without the optional peer installed.
 */
export interface EtaEngineConfig {
  readonly autoEscape?: boolean
  readonly autoFilter?: boolean
  readonly autoTrim?: EtaTrim | readonly [EtaTrim, EtaTrim]
  readonly debug?: boolean
  readonly escapeFunction?: (value: unknown) => string
  readonly filterFunction?: (value: unknown) => string
  readonly functionHeader?: string
  readonly outputFunctionName?: string
  readonly parse?: { readonly exec: string; readonly interpolate: string; readonly raw: string }
  readonly rmWhitespace?: boolean
  readonly tags?: readonly [string, string]
  readonly useWith?: boolean
  readonly varName?: string
}

/** Eta's whitespace trimming mode for one side of a tag (its `autoTrim` option). */
export type EtaTrim = 'nl' | 'slurp' | false

/** The calls through which an Eta template uses another one. */
type Call = 'include' | 'includeAsync' | 'layout'

/**
 * A call of one of CALLS whose first argument is a single string literal without interpolation.
 * The lookbehind keeps `it.layout(` and `myinclude(` out.
 */
const LITERAL_CALL = /(?<![\w$.])(include|includeAsync|layout)\s*\(\s*(?:'([^'\\\n]*)'|"([^"\\\n]*)"|`([^`\\$]*)`)\s*[,)]/g
/** Any mention of those names, called or not. */
const ANY_MENTION = /(?<![\w$.])(include|includeAsync|layout)(?![\w$])/g

/**
 * The Eta adapter. Templates are compiled with Eta's own `compile` in the validate stage, which
 * surfaces both Eta's parse errors (with line and column) and JavaScript syntax errors inside
 * tags (located to the tag's line). Rendering goes through an `eta/core` instance per generation,
 * which resolves `include('name')` and `layout('name')` from that generation's compiled
 * templates by name and never reads a file.
 *
 * Dependencies: Eta has no AST for the JavaScript inside its tags. The adapter takes the tags
 * from Eta's own `parse()` (so text outside tags never counts) and, inside them, recognises
 * `include('x')`, `includeAsync('x')` and `layout('x')` with a plain string literal. Any other
 * mention of those names (a computed name, `include` passed around) marks the template dynamic:
 * it is then recompiled whenever any template changes, never silently left stale.
 */
export function eta(options: EtaEngineOptions = {}): TemplateEngine {
  const extensions = Object.freeze([...(options.extensions ?? ['.eta'])])
  const given = options.config ?? {}
  const config: Partial<EtaConfig> = {
    ...given,
    autoTrim: Array.isArray(given.autoTrim) ? [given.autoTrim[0], given.autoTrim[1]] : (given.autoTrim as EtaTrim | undefined),
    tags: given.tags && [given.tags[0], given.tags[1]],
    parse: given.parse && { ...given.parse },
  }
  for (const key of Object.keys(config) as (keyof EtaConfig)[]) if (config[key] === undefined) delete config[key]
  return {
    name: 'eta',
    extensions,
    async load(): Promise<EngineCompiler> {
      const module = await loadPeer('eta', 'Eta', () => import('eta/core'))
      return createEtaCompiler(module.Eta, config)
    },
  }
}

function createEtaCompiler(Eta: typeof EtaCore, config: Partial<EtaConfig>): EngineCompiler {
  const compiler = new Eta(config)
  // A debug instance only for analysis: with `debug` Eta records each tag's line.
  const analyser = new Eta({ ...config, debug: true })
  const functions = new WeakMap<TemplateAnalysis, TemplateFunction>()

  return {
    analyze(source: string, file: TemplateFile): TemplateAnalysis {
      let fn: TemplateFunction
      let tags: ReturnType<EtaCore['parse']>
      try {
        tags = analyser.parse(source)
        fn = compiler.compile(source)
      } catch (error) {
        throw toSyntaxError(error, source, file, analyser)
      }
      const analysis = analyseTags(tags)
      functions.set(analysis, fn)
      return analysis
    },

    createGeneration(): EngineGeneration {
      const instance = new Eta(config)
      // Eta keeps templates in a plain object: `include("constructor")` would find Object and a
      // template named `__proto__` would become the object's prototype. A null-prototype store,
      // through Eta's own cache class (it takes the object it stores into), has only own names.
      const Cacher = instance.templatesSync.constructor as new (cache: Record<string, TemplateFunction>) => typeof instance.templatesSync
      instance.templatesSync = new Cacher(Object.create(null) as Record<string, TemplateFunction>)
      return {
        link(file: TemplateFile, analysis: TemplateAnalysis): TemplateRender {
          const fn = functions.get(analysis)
          if (fn === undefined) throw new Error(`${file.path} was linked without being analysed by this compiler`)
          // The compiled function reads `options` only for debug-mode error messages (the file path)
          // and passes it on to includes; without debug a bound function skips a wrapper call.
          if (!instance.config.debug) return fn.bind(instance) as TemplateRender
          const renderOptions = { async: false, filepath: file.absolutePath }
          return (data) => fn.call(instance, data as object | undefined, renderOptions)
        },
        seal(templates) {
          for (const [name, { analysis }] of templates) {
            const fn = functions.get(analysis)
            if (fn === undefined) continue
            instance.templatesSync.define(name, fn)
            // Eta's documentation names templates loaded in memory with a leading "@".
            instance.templatesSync.define(`@${name}`, fn)
          }
        },
      }
    },
  }
}

/** Finds the templates a parsed Eta template uses (see `eta()` for the rules). */
function analyseTags(tags: ReturnType<EtaCore['parse']>): TemplateAnalysis {
  const dependencies: TemplateDependency[] = []
  let dynamic = false
  for (const tag of tags) {
    if (typeof tag === 'string') continue
    const code = tag.val
    let literalCalls = 0
    for (const match of code.matchAll(LITERAL_CALL)) {
      literalCalls++
      const call = match[1] as Call
      const name = (match[2] ?? match[3] ?? match[4] ?? '').replace(/^@/, '')
      dependencies.push({ name, kind: call === 'layout' ? 'layout' : 'include', optional: false, line: tag.lineNo })
    }
    const mentions = [...code.matchAll(ANY_MENTION)].length
    if (mentions > literalCalls) dynamic = true
  }
  return { dependencies, dynamic, defines: [] }
}

function toSyntaxError(error: unknown, source: string, file: TemplateFile, analyser: EtaCore): TemplateSyntaxError {
  const message = error instanceof Error ? error.message : String(error)
  // Eta's parser: "unclosed tag at line 3 col 5:\n\n  <line>\n  ^"
  const parse = /^([^\n]*?) at line (\d+) col (\d+):/.exec(message)
  if (parse) {
    return new TemplateSyntaxError(`Eta parse error: ${parse[1]}`, { path: file.path, line: Number(parse[2]), column: Number(parse[3]), cause: error })
  }
  // Eta's compile(): "Bad template syntax\n\n<SyntaxError message>\n====\n<generated code>"
  const bad = /^Bad template syntax\n\n([^\n]*)/.exec(message)
  if (bad) {
    return new TemplateSyntaxError(`JavaScript syntax error in a template tag: ${bad[1]}`, {
      path: file.path,
      line: lineOfBadTag(source, analyser),
      cause: error,
    })
  }
  return new TemplateSyntaxError(message, { path: file.path, cause: error })
}

/**
 * Locates a JavaScript syntax error to the template line of the tag that holds it. Eta in debug
 * mode writes `__eta.line=N` before each tag's code; V8 reports the generated line of the error;
 * the last marker at or before it names the tag. Undefined when V8 gives no line.
 */
function lineOfBadTag(source: string, analyser: EtaCore): number | undefined {
  const body = analyser.compileToString(source)
  const wrapped = `(function (${analyser.config.varName}, options) {\n${body}\n})`
  try {
    new Script(wrapped, { filename: 'eta-template.js' })
  } catch (error) {
    const generatedLine = /eta-template\.js:(\d+)/.exec(error instanceof Error ? (error.stack ?? '') : '')
    if (!generatedLine) return undefined
    const lines = wrapped.split('\n').slice(0, Number(generatedLine[1]))
    for (let i = lines.length - 1; i >= 0; i--) {
      const marker = /__eta\.line=(\d+)/.exec(lines[i] ?? '')
      if (marker) return Number(marker[1])
    }
    return undefined
  }
  return undefined
}
