import { checkOptions } from '@hotreload/core'
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
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024
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
export function resolveConfigOptions(options: ConfigPluginOptions<ConfigSchemas>): ResolvedConfigOptions {
  const checked = checkOptions(OptionsSchema, options, { source: 'configPlugin()', hint: HINT })
  const plugin = checked.name ?? 'config'
  const globs = checked.files === undefined ? [...DEFAULT_CONFIG_FILES] : typeof checked.files === 'string' ? [checked.files] : [...checked.files]

  const schemas = options.schemas ?? {}
  if (typeof schemas !== 'object' || schemas === null) fail('"schemas" must be an object of schemas by config name')
  for (const [name, schema] of Object.entries(schemas)) {
    if (typeof schema !== 'object' || schema === null) fail(`the schema for config "${name}" must be a TypeBox / JSON Schema object`)
  }

  const envRaw = checked.env ?? process.env['NODE_ENV']
  const env = envRaw === '' ? undefined : envRaw

  const required = checked.required ?? Object.keys(schemas)

  const restartRequired = new Map<string, ReturnType<typeof compileKeyPatterns>>()
  const restartOption: unknown = options.restartRequired ?? {}
  if (typeof restartOption !== 'object' || restartOption === null || Array.isArray(restartOption)) {
    fail(`"restartRequired" must map config names to key patterns, e.g. { app: ['server.port'] }; got ${Array.isArray(restartOption) ? 'a list' : typeof restartOption}`)
  }
  for (const [name, patterns] of Object.entries(restartOption as Record<string, unknown>)) {
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

function fail(message: string): never {
  throw new ConfigOptionsError(`configPlugin(): ${message}`, {
    hint: `Valid options: ${Object.keys(OptionsSchema.properties).join(', ')}. ${HINT}`,
  })
}
