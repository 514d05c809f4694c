import type Handlebars from 'handlebars'
import { TemplateSyntaxError } from '../errors.js'
import type { EngineCompiler, EngineGeneration, TemplateAnalysis, TemplateDependency, TemplateEngine, TemplateFile, TemplateRender } from '../types.js'
import { loadPeer } from './load.js'

type HandlebarsEnv = typeof Handlebars
type Program = hbs.AST.Program
type Node = hbs.AST.Node

/**
 * A Handlebars helper: the helper's arguments, then Handlebars' options object. Declared here
 * rather than taken from the `handlebars` types so this package's types load without the
 * optional peer installed.
 */
export type HandlebarsHelper = (this: unknown, ...args: never[]) => unknown

/** The `Handlebars.precompile` options the adapter passes through. */
export interface HandlebarsCompileOptions {
  readonly strict?: boolean
  readonly assumeObjects?: boolean
  readonly noEscape?: boolean
  readonly knownHelpers?: Readonly<Record<string, boolean>>
  readonly knownHelpersOnly?: boolean
  readonly preventIndent?: boolean
  readonly ignoreStandalone?: boolean
  readonly explicitPartialContext?: boolean
  readonly compat?: boolean
  readonly data?: boolean
}

/** Options of the Handlebars adapter. */
export interface HandlebarsEngineOptions {
  /** File extensions compiled as templates. Default `['.hbs', '.handlebars']`. */
  extensions?: readonly string[]
  /** Helpers registered in the plugin's own Handlebars environments (never the global one). */
  helpers?: Readonly<Record<string, HandlebarsHelper>>
  /** Passed to `Handlebars.precompile`. */
  compileOptions?: HandlebarsCompileOptions
}

/**
 * The Handlebars adapter. Templates are parsed with `Handlebars.parse` and precompiled with
 * `Handlebars.precompile` in the validate stage, so every syntax error surfaces before anything
 * is applied (Handlebars' own `compile` is lazy and would only fail on first render). The
 * dependencies of a template are read from its AST: every `{{> name}}` and `{{#> name}}`.
 * Each generation of templates is linked in a fresh `Handlebars.create()` environment holding
 * that generation's partials; the global `Handlebars` is never touched.
 */
export function handlebars(options: HandlebarsEngineOptions = {}): TemplateEngine {
  const extensions = Object.freeze([...(options.extensions ?? ['.hbs', '.handlebars'])])
  const helpers = { ...options.helpers }
  // Copied field by field: a srcName would make precompile return { code, map } instead of source.
  const { strict, assumeObjects, noEscape, knownHelpers, knownHelpersOnly, preventIndent, ignoreStandalone, explicitPartialContext, compat, data } = options.compileOptions ?? {}
  const picked: PrecompileOptions = { strict, assumeObjects, noEscape, knownHelpers: knownHelpers && { ...knownHelpers }, knownHelpersOnly, preventIndent, ignoreStandalone, explicitPartialContext, compat, data }
  // Handlebars tests `'data' in options`: a key present as undefined would turn @index and @root off.
  const compileOptions = Object.fromEntries(Object.entries(picked).filter(([, v]) => v !== undefined)) as PrecompileOptions
  return {
    name: 'handlebars',
    extensions,
    async load(): Promise<EngineCompiler> {
      const module = await loadPeer('handlebars', 'Handlebars', () => import('handlebars'))
      return createHandlebarsCompiler(module.default, helpers, compileOptions)
    },
  }
}

function createHandlebarsCompiler(
  handlebarsModule: HandlebarsEnv,
  helpers: Readonly<Record<string, HandlebarsHelper>>,
  compileOptions: PrecompileOptions,
): EngineCompiler {
  // One isolated environment for parsing and precompiling; rendering environments are per generation.
  const hb = handlebarsModule.create()
  const specs = new WeakMap<TemplateAnalysis, object>()
  // Visitor is exported by the package but not copied onto create()d environments; it holds no state.
  const collect = dependencyCollector(handlebarsModule.Visitor)

  return {
    analyze(source: string, file: TemplateFile): TemplateAnalysis {
      let ast: Program
      let spec: object
      try {
        // Unprocessed: precompile applies whitespace control to an AST itself, so it runs exactly once.
        ast = hb.parseWithoutProcessing(source, { srcName: file.path })
        // precompile returns the source of a template spec object, the form Handlebars ships to
        // browsers; evaluating it here is what Handlebars' own compile() does internally.
        const specSource = hb.precompile(ast, compileOptions) as unknown as string
        spec = new Function(`return ${specSource}`)() as object
      } catch (error) {
        throw toSyntaxError(error, source, file)
      }
      const analysis = collect(ast)
      specs.set(analysis, spec)
      return analysis
    },

    createGeneration(): EngineGeneration {
      const env = handlebarsModule.create()
      // Handlebars' HelperDelegate takes `any` arguments; ours takes never[] so any helper signature fits.
      for (const [name, helper] of Object.entries(helpers)) env.registerHelper(name, helper as Handlebars.HelperDelegate)
      return {
        link(file: TemplateFile, analysis: TemplateAnalysis): TemplateRender {
          const spec = specs.get(analysis)
          if (spec === undefined) throw new Error(`${file.path} was linked without being analysed by this compiler`)
          return env.template(spec)
        },
        seal(templates) {
          // Every template is also a partial under its name, so `{{> layouts/main}}` works.
          // Defined, not assigned as registerPartial does: `partials.__proto__ = fn` would set
          // the object's prototype, and Handlebars looks partials up as own properties only.
          for (const [name, { render }] of templates) {
            Object.defineProperty(env.partials, name, { value: render as Handlebars.Template, writable: true, enumerable: true, configurable: true })
          }
        },
      }
    },
  }
}

/** Reads partial references and inline partial definitions with Handlebars' own AST visitor. */
function dependencyCollector(Visitor: HandlebarsEnv['Visitor']): (ast: Program) => TemplateAnalysis {
  class PartialCollector extends Visitor {
    readonly dependencies: TemplateDependency[] = []
    readonly defines = new Set<string>()
    dynamic = false

    override PartialStatement(partial: hbs.AST.PartialStatement): void {
      this.record(partial.name, partial.loc, false)
      super.PartialStatement(partial)
    }

    override PartialBlockStatement(partial: hbs.AST.PartialBlockStatement): void {
      // A partial block renders its own content when the partial is missing (Handlebars' failover).
      this.record(partial.name, partial.loc, true)
      super.PartialBlockStatement(partial)
    }

    override DecoratorBlock(decorator: hbs.AST.DecoratorBlock): void {
      const first = decorator.params[0]
      if (decorator.path.original === 'inline' && first?.type === 'StringLiteral') {
        this.defines.add((first as hbs.AST.StringLiteral).value)
      }
      super.DecoratorBlock(decorator)
    }

    private record(name: Node, loc: hbs.AST.SourceLocation, optional: boolean): void {
      const literal = partialName(name)
      if (literal === null) return
      if (literal === undefined) {
        this.dynamic = true
        return
      }
      this.dependencies.push({ name: literal, kind: 'partial', optional, line: loc.start.line, column: loc.start.column + 1 })
    }
  }

  return (ast) => {
    const collector = new PartialCollector()
    collector.accept(ast)
    // An inline partial the template defines itself is not a dependency on a file.
    const dependencies = collector.dependencies.filter((d) => !collector.defines.has(d.name))
    return { dependencies, dynamic: collector.dynamic, defines: [...collector.defines] }
  }
}

/**
 * The partial name a node spells, undefined when it is computed at render time
 * (`{{> (whichPartial)}}`), null for `{{> @partial-block}}`, which is not a file.
 */
function partialName(node: Node): string | undefined | null {
  switch (node.type) {
    case 'PathExpression': {
      const path = node as hbs.AST.PathExpression
      return path.data ? null : path.original
    }
    case 'StringLiteral':
      return (node as hbs.AST.StringLiteral).value
    case 'NumberLiteral':
      return String((node as hbs.AST.NumberLiteral).value)
    case 'BooleanLiteral':
      return String((node as hbs.AST.BooleanLiteral).value)
    default:
      return undefined
  }
}

/**
 * Turns what Handlebars threw into a located TemplateSyntaxError. Compiler exceptions carry
 * `lineNumber` and a 0-based `column`; parser errors only say "Parse error on line N:" followed by
 * an excerpt with a caret, so the column is recovered by finding that excerpt on line N, and
 * left out when the excerpt does not pin one position down.
 */
function toSyntaxError(error: unknown, source: string, file: TemplateFile): TemplateSyntaxError {
  const message = error instanceof Error ? error.message : String(error)
  const located = error as { lineNumber?: unknown; column?: unknown }
  if (typeof located.lineNumber === 'number') {
    return new TemplateSyntaxError(message.replace(/ - \d+:\d+$/, ''), {
      path: file.path,
      line: located.lineNumber,
      column: typeof located.column === 'number' ? located.column + 1 : undefined,
      cause: error,
    })
  }
  const parsed = /^(?:Parse|Lexical) error on line (\d+)[:.][^\n]*\n([^\n]*)\n(-*)\^\n?([\s\S]*)$/.exec(message)
  if (!parsed) return new TemplateSyntaxError(message, { path: file.path, cause: error })
  const line = Number(parsed[1])
  const excerpt = parsed[2] ?? ''
  const caret = (parsed[3] ?? '').length
  const expecting = (parsed[4] ?? '').trim()
  const column = columnFromExcerpt(source, line, excerpt, caret)
  return new TemplateSyntaxError(`Parse error${expecting ? `: ${expecting}` : ''}`, { path: file.path, line, column, cause: error })
}

/**
 * The jison lexer prints up to 20 characters before the failing token and up to 20 from it,
 * newlines removed, with "..." where it cut. A column on the reported line is accepted only if
 * it is the single place where the text around it, newlines removed, matches both sides.
 */
function columnFromExcerpt(source: string, line: number, excerpt: string, caret: number): number | undefined {
  let before = excerpt.slice(0, caret)
  let after = excerpt.slice(caret)
  if (before.startsWith('...')) before = before.slice(3)
  if (after.endsWith('...')) after = after.slice(0, -3)
  const lines = source.split('\n')
  const text = lines[line - 1]
  if (text === undefined) return undefined
  const lineStart = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0)
  const flat = (s: string) => s.replaceAll('\n', '')
  const candidates: number[] = []
  for (let column = 0; column <= text.length; column++) {
    const offset = lineStart + column
    // A window of 200 characters holds the 20 the excerpt shows unless the file has runs of blank lines.
    const left = flat(source.slice(Math.max(0, offset - 200), offset))
    const right = flat(source.slice(offset, offset + 200))
    if (left.endsWith(before) && right.startsWith(after)) candidates.push(column + 1)
  }
  return candidates.length === 1 ? candidates[0] : undefined
}
