import type { Plugin } from '@hotreload/core'
import type { TemplateCache } from './cache.js'

/** A compiled template: data in, markup out. Synchronous, no I/O. */
export type TemplateRender = (data?: unknown) => string

/** One template file as an engine sees it. */
export interface TemplateFile {
  /** The template's name: its path relative to the templates directory, without extension (see README). */
  readonly name: string
  /** Root-relative path with `/` separators. */
  readonly path: string
  readonly absolutePath: string
  /** The file lives under the partials directory (its name drops that prefix). */
  readonly partial: boolean
}

/** Something a template uses by name: a partial, a layout or an include. */
export interface TemplateDependency {
  readonly name: string
  readonly kind: 'partial' | 'layout' | 'include'
  /**
   * The engine renders something sensible when it is missing (a Handlebars partial block renders
   * its own content as failover), so a missing one is not a problem. It is still tracked, so the
   * template recompiles when the name appears.
   */
  readonly optional: boolean
  /** 1-based position of the reference, when the engine's parser gives it. */
  readonly line?: number
  readonly column?: number
}

/** What an engine learnt from parsing one template source. */
export interface TemplateAnalysis {
  readonly dependencies: readonly TemplateDependency[]
  /**
   * The template picks a partial, layout or include by a name computed at render time, so its
   * dependencies cannot be known: it is recompiled whenever any template changes.
   */
  readonly dynamic: boolean
  /** Partial names the template defines for others to use (Handlebars inline partials). */
  readonly defines: readonly string[]
}

/**
 * A template engine adapter: which files it compiles and how. `handlebars()`, `eta()` and
 * `customEngine()` make one; `load()` runs once, when the plugin is applied.
 */
export interface TemplateEngine {
  readonly name: string
  /** File extensions with the dot, e.g. `['.hbs']`; other files under the templates directory are ignored. */
  readonly extensions: readonly string[]
  /** Loads the engine package (an optional peer dependency) and returns its compiler. */
  load(): Promise<EngineCompiler>
}

/**
 * An engine's compiler, per plugin instance. `analyze` runs in the validate stage for each
 * changed file; a generation is the set of compiled templates one transaction puts in service.
 */
export interface EngineCompiler {
  /**
   * Parses and compiles one source eagerly, so every syntax error surfaces here, and lists what
   * it uses. Throws a `TemplateSyntaxError` naming the file, line and column.
   */
  analyze(source: string, file: TemplateFile): TemplateAnalysis
  /**
   * Starts a generation. `lookup` returns a template of the finished generation by name; it
   * works once `seal` has run, i.e. at render time.
   */
  createGeneration(lookup: (name: string) => TemplateRender | undefined): EngineGeneration
}

/** Builds the templates of one generation. */
export interface EngineGeneration {
  /**
   * Builds the render function of a template whose source or dependencies changed, bound to
   * this generation's partials. May throw a compile error, reported as a problem.
   */
  link(file: TemplateFile, analysis: TemplateAnalysis, source: string): TemplateRender
  /** Registers every template of the generation, linked now or kept, for partial and include lookups. */
  seal(templates: ReadonlyMap<string, { readonly analysis: TemplateAnalysis; readonly render: TemplateRender }>): void
}

/** Counters since the plugin was created. */
export interface TemplateStats {
  /** Template functions built and put in service (each changed template and each dependent, once per transaction). */
  readonly compilations: number
  /** `render()` and `get()` calls that found their template. */
  readonly cacheHits: number
  /** `render()` and `get()` calls for a name that is not loaded. */
  readonly misses: number
  /** `render()` calls that found their template. */
  readonly renders: number
  /** Templates in service now. */
  readonly templates: number
  /** Transactions that changed the compiled set. */
  readonly generations: number
}

/** Options of `templatesPlugin()`. */
export interface TemplatesPluginOptions {
  /** The engine adapter: `handlebars()`, `eta()` or `customEngine({...})`. */
  readonly engine: TemplateEngine
  /** Templates directory, relative to the root; names are relative to it. Default `templates`. */
  readonly dir?: string
  /** picomatch globs (relative to the root) of the files to watch. Default `<dir>/**\/*`. */
  readonly files?: string | readonly string[]
  /** Directory under `dir` whose files are partials named without this prefix. Default `partials`. */
  readonly partialsDir?: string
  /** Plugin name, shown in problems and events; give each instance its own. Default `templates`. */
  readonly name?: string
}

/** The plugin and, once the kernel has applied it, the app's compiled-template cache. */
export interface TemplatesPlugin extends Plugin, TemplateCache {}
