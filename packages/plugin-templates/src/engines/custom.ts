import { TemplateCompileError, TemplateNotFoundError } from '../errors.js'
import type { EngineCompiler, EngineGeneration, TemplateAnalysis, TemplateEngine, TemplateFile, TemplateRender } from '../types.js'

/** What a custom engine's `compile` receives besides the source. */
export interface CustomCompileContext {
  /** The template's name (see README for how paths become names). */
  readonly name: string
  /** Root-relative path of the file. */
  readonly path: string
  readonly absolutePath: string
  /**
   * Another template of the same generation, by name, for engines with partials. The returned
   * function resolves the name when it is called, so calling `template()` at compile time is
   * fine even if the other template is compiled later; it throws at render time if the name
   * is not loaded.
   */
  template(name: string): TemplateRender
}

/** Describes any template engine to the plugin. */
export interface CustomEngineOptions {
  /** Shown in events and errors. Default `custom`. */
  name?: string
  /** File extensions with the dot, e.g. `['.mustache']`. */
  extensions: readonly string[]
  /**
   * Compiles one source into its render function. Runs in the validate stage; throwing
   * rejects the transaction with the message (and `line`/`column` if the error has them).
   */
  compile(source: string, context: CustomCompileContext): TemplateRender
  /**
   * The names of the templates `source` uses. Without it the plugin cannot know, so every
   * template counts as using every other one and is recompiled whenever any template changes;
   * return `[]` for self-contained templates.
   */
  dependencies?(source: string, file: { readonly name: string; readonly path: string }): readonly string[]
}

/** An adapter for any engine given as a `compile(source, context) => render` function. */
export function customEngine(options: CustomEngineOptions): TemplateEngine {
  const name = options.name ?? 'custom'
  const extensions = Object.freeze([...options.extensions])
  const { compile, dependencies } = options
  return {
    name,
    extensions,
    load(): Promise<EngineCompiler> {
      return Promise.resolve(createCustomCompiler(compile, dependencies))
    },
  }
}

function createCustomCompiler(
  compile: CustomEngineOptions['compile'],
  dependencies: CustomEngineOptions['dependencies'],
): EngineCompiler {
  return {
    analyze(source: string, file: TemplateFile): TemplateAnalysis {
      if (dependencies === undefined) return { dependencies: [], dynamic: true, defines: [] }
      let names: readonly string[]
      try {
        names = dependencies(source, { name: file.name, path: file.path })
      } catch (error) {
        throw new TemplateCompileError(file.path, error)
      }
      return { dependencies: names.map((n) => ({ name: n, kind: 'partial', optional: false })), dynamic: false, defines: [] }
    },

    createGeneration(lookup): EngineGeneration {
      const template = (name: string): TemplateRender => (data) => {
        const render = lookup(name)
        if (render === undefined) throw new TemplateNotFoundError(name)
        return render(data)
      }
      return {
        link(file: TemplateFile, _analysis: TemplateAnalysis, source: string): TemplateRender {
          let render: TemplateRender
          try {
            render = compile(source, { name: file.name, path: file.path, absolutePath: file.absolutePath, template })
          } catch (error) {
            throw new TemplateCompileError(file.path, error)
          }
          if (typeof render !== 'function') throw new TemplateCompileError(file.path, new TypeError('compile() must return a render function'))
          return render
        },
        seal() {
          // Lookups go through `lookup`, which reads the finished generation; nothing to register.
        },
      }
    },
  }
}
