import { checkOptions } from '@hotreload/core'
import { Type } from '@sinclair/typebox'
import { TemplatesOptionsError } from './errors.js'
import { normaliseDir, type NamingRules } from './naming.js'
import type { TemplateEngine, TemplatesPluginOptions } from './types.js'

const OptionsSchema = Type.Object(
  {
    // An engine is an object with functions: checked below with a message about how to make one.
    engine: Type.Optional(Type.Unknown()),
    dir: Type.Optional(Type.String()),
    files: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })])),
    partialsDir: Type.Optional(Type.String()),
    name: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
)

/** The options after checking and defaults. */
export interface ResolvedTemplatesOptions {
  readonly name: string
  readonly engine: TemplateEngine
  readonly rules: NamingRules
  /** Watched globs, relative to the root. */
  readonly files: readonly string[]
}

/**
 * Checks `templatesPlugin()`'s options (every mistake at once, with a did-you-mean for a
 * misspelled option such as `dirr`) and fills in defaults. Never mutates `options`.
 */
export function resolveTemplatesOptions(options: TemplatesPluginOptions): ResolvedTemplatesOptions {
  const checked = checkOptions(OptionsSchema, options, { source: 'templatesPlugin()', hint: 'See the README of @hotreload/plugin-templates.' })
  const engine = checked.engine as Partial<TemplateEngine> | undefined
  if (!engine || typeof engine.load !== 'function' || !Array.isArray(engine.extensions)) {
    throw new TemplatesOptionsError('templatesPlugin() needs an `engine`', {
      hint: "Pass one, e.g. templatesPlugin({ engine: handlebars() }) with `import { handlebars } from '@hotreload/plugin-templates'`.",
    })
  }
  if (engine.extensions.length === 0 || engine.extensions.some((e) => !e.startsWith('.'))) {
    throw new TemplatesOptionsError(`The ${engine.name} engine's extensions must be non-empty and start with a dot, got ${JSON.stringify(engine.extensions)}`)
  }
  const rules: NamingRules = Object.freeze({
    dir: normaliseDir(checked.dir ?? 'templates'),
    partialsDir: normaliseDir(checked.partialsDir ?? 'partials'),
    extensions: engine.extensions,
  })
  const files = checked.files === undefined ? [rules.dir ? `${rules.dir}/**/*` : '**/*'] : typeof checked.files === 'string' ? [checked.files] : [...checked.files]
  return Object.freeze({ name: checked.name ?? 'templates', engine: engine as TemplateEngine, rules, files: Object.freeze(files) })
}
