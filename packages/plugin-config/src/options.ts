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

const KNOWN = ['name', 'files', 'schemas', 'env', 'required', 'restartRequired', 'redact', 'maxFileBytes', 'maxAliasCount'] as const

/** The options after checking and defaults, plus what is compiled from them once. */
export interface ResolvedConfigOptions extends StageSettings {
  readonly redact: RegExp
}

/**
 * Checks `configPlugin()` options and fills in defaults; compiles the schemas and key patterns.
 * Throws a `ConfigOptionsError` naming the offending option. Never mutates `options`.
 */
export function resolveConfigOptions(options: ConfigPluginOptions<ConfigSchemas>): ResolvedConfigOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const unknown = Object.keys(options).filter((k) => !(KNOWN as readonly string[]).includes(k))
  if (unknown.length > 0) fail(`unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`)

  const plugin = options.name ?? 'config'
  if (typeof plugin !== 'string' || plugin === '') fail('"name" must be a non-empty string')

  const globs = options.files === undefined ? [...DEFAULT_CONFIG_FILES] : typeof options.files === 'string' ? [options.files] : [...options.files]
  if (globs.length === 0 || globs.some((g) => typeof g !== 'string' || g === '')) fail('"files" must be a glob or a non-empty list of globs')

  const schemas = options.schemas ?? {}
  if (typeof schemas !== 'object' || schemas === null) fail('"schemas" must be an object of schemas by config name')
  for (const [name, schema] of Object.entries(schemas)) {
    if (typeof schema !== 'object' || schema === null) fail(`the schema for config "${name}" must be a TypeBox / JSON Schema object`)
  }

  const envRaw = options.env ?? process.env['NODE_ENV']
  if (envRaw !== undefined && typeof envRaw !== 'string') fail('"env" must be a string')
  const env = envRaw === '' ? undefined : envRaw

  const required = options.required ?? Object.keys(schemas)
  if (!Array.isArray(required) || required.some((n) => typeof n !== 'string')) fail('"required" must be a list of config names')

  const restartRequired = new Map<string, ReturnType<typeof compileKeyPatterns>>()
  for (const [name, patterns] of Object.entries(options.restartRequired ?? {})) {
    if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== 'string' || p === '')) {
      fail(`"restartRequired.${name}" must be a list of key patterns such as "server.port" or "storage.*"`)
    }
    restartRequired.set(name, compileKeyPatterns(patterns))
  }

  const redact = options.redact ?? DEFAULT_REDACT_PATTERN
  if (!(redact instanceof RegExp)) fail('"redact" must be a regular expression')

  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES
  if (!Number.isInteger(maxFileBytes) || maxFileBytes < 1) fail('"maxFileBytes" must be a positive integer')
  const maxAliasCount = options.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT
  if (!Number.isInteger(maxAliasCount) || maxAliasCount < 0) fail('"maxAliasCount" must be an integer >= 0')

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

function fail(message: string): never {
  throw new ConfigOptionsError(`configPlugin(): ${message}`, {
    hint: `Valid options: ${KNOWN.join(', ')}. See the README of @hotreload/plugin-config.`,
  })
}
