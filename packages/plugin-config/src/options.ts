import { checkOptions, didYouMean } from '@hotreload/core'
import { Type } from '@sinclair/typebox'
import { ConfigOptionsError } from './errors.js'
import { compileKeyPatterns } from './key-path.js'
import { ConfigNamer } from './names.js'
import { DEFAULT_REDACT_PATTERN } from './redact.js'
import type { StageSettings } from './stage.js'
import type { ConfigPluginOptions, ConfigSchemas } from './types.js'
import { SchemaSet } from './validate.js'

/** Config files watched when the `files` option is not given. */
export const DEFAULT_CONFIG_FILES: readonly string[] = Object.freeze(['config/**/*.{json,yaml,yml,toml}'])
/** Default `maxFileBytes`: config files larger than 1 MiB are refused before they are read. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024
/** Default `maxAliasCount`: YAML alias expansions allowed per file. */
export const DEFAULT_MAX_ALIAS_COUNT = 100

const OptionsSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    files: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })])),
    // Schemas, key-pattern maps and the RegExp are checked below, with messages about their form.
    schemas: Type.Optional(Type.Unknown()),
    env: Type.Optional(Type.String()),
    required: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    restartRequired: Type.Optional(Type.Unknown()),
    redact: Type.Optional(Type.Unknown()),
    maxFileBytes: Type.Optional(Type.Integer({ minimum: 1 })),
    maxAliasCount: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
)

/** The options after checking and defaults, plus what is compiled from them once. */
export interface ResolvedConfigOptions extends StageSettings {
  readonly redact: RegExp
}

/**
 * Checks `configPlugin()` options and fills in defaults; compiles the schemas and key patterns.
 * Throws a `ConfigOptionsError` naming the offending option. Never mutates `options`.
 */
export function resolveConfigOptions<S extends ConfigSchemas>(options: ConfigPluginOptions<S>): ResolvedConfigOptions {
  const checked = checkOptions(OptionsSchema, options, { source: 'configPlugin()', hint: HINT })
  const plugin = checked.name ?? 'config'
  const globs = checked.files === undefined ? [...DEFAULT_CONFIG_FILES] : typeof checked.files === 'string' ? [checked.files] : [...checked.files]

  const schemas: ConfigSchemas = options.schemas ?? {}
  if (typeof schemas !== 'object' || schemas === null) fail('"schemas" must be an object of schemas by config name')
  for (const [name, schema] of Object.entries(schemas)) {
    if (typeof schema !== 'object' || schema === null) fail(`the schema for config "${name}" must be a TypeBox / JSON Schema object`)
  }

  const envRaw = checked.env ?? process.env['NODE_ENV']
  const env = envRaw === '' ? undefined : envRaw

  const required: readonly string[] = checked.required ?? Object.keys(schemas)
  for (const name of required) checkName('required', name, schemas)

  const restartRequired = new Map<string, ReturnType<typeof compileKeyPatterns>>()
  const restartOption: unknown = options.restartRequired ?? {}
  // The README once showed `['app.port']`: say which form is expected, with the user's own keys.
  if (typeof restartOption !== 'object' || restartOption === null || Array.isArray(restartOption)) {
    fail(`"restartRequired" must be an object of key patterns by config name, such as ${restartExample(restartOption)}; got ${Array.isArray(restartOption) ? 'a list' : typeof restartOption}`)
  }
  for (const [name, patterns] of Object.entries(restartOption as Record<string, unknown>)) {
    checkName('restartRequired', name, schemas)
    if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== 'string' || p === '')) {
      fail(`"restartRequired.${name}" must be a list of key patterns such as "server.port" or "storage.*"`)
    }
    restartRequired.set(name, compileKeyPatterns(patterns))
  }

  const redact = options.redact ?? DEFAULT_REDACT_PATTERN
  if (!(redact instanceof RegExp)) fail('"redact" must be a regular expression')

  const maxFileBytes = checked.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES
  const maxAliasCount = checked.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT

  return {
    plugin,
    globs: Object.freeze(globs),
    namer: new ConfigNamer(globs),
    schemas: new SchemaSet(schemas),
    env,
    required: new Set(required),
    restartRequired,
    redact,
    maxFileBytes,
    maxAliasCount,
  }
}

const HINT = 'See the README of @hotreload/plugin-config.'

/**
 * A name in `required` or `restartRequired` that is not a config name would silently guard
 * nothing (`{ stie: ['port'] }` for `site`). With schemas given, the names are known: any other
 * is an error. Without schemas the names come only from the files, so nothing can be checked here.
 */
function checkName(option: string, name: string, schemas: ConfigSchemas): void {
  const known = Object.keys(schemas)
  if (known.length === 0 || known.includes(name)) return
  const near = didYouMean(name, known)
  throw new ConfigOptionsError(`configPlugin(): "${option}" names config "${name}", which has no schema${near ? ` (did you mean "${near}"?)` : ''}`, {
    hint: `Config names with a schema: ${known.join(', ')}. Fix the name${near ? ` ("${near}")` : ''}, or give "${name}" a schema (Type.Unknown() accepts any value).`,
  })
}

// `['app.port', 'app.host']` -> `{ app: ['port', 'host'] }`, the form the option takes.
function restartExample(value: unknown): string {
  const byName = new Map<string, string[]>()
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item !== 'string' || !item.includes('.')) continue
      const [name = '', ...rest] = item.split('.')
      byName.set(name, [...(byName.get(name) ?? []), rest.join('.')])
    }
  }
  if (byName.size === 0) return `{ app: ['server.port'] }`
  return `{ ${[...byName].map(([name, keys]) => `${name}: [${keys.map((k) => `'${k}'`).join(', ')}]`).join(', ')} }`
}

function fail(message: string): never {
  throw new ConfigOptionsError(`configPlugin(): ${message}`, {
    hint: `Valid options: ${Object.keys(OptionsSchema.properties).join(', ')}. ${HINT}`,
  })
}
