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

const KNOWN = ['name', 'files', 'schemas', 'env', 'required', 'restartRequired', 'redact', 'maxFileBytes', 'maxAliasCount'] as const

/** The options after checking and defaults, plus what is compiled from them once. */
export interface ResolvedConfigOptions extends StageSettings {
  readonly redact: RegExp
}

/**
 * Checks `configPlugin()` options and fills in defaults; compiles the schemas and key patterns.
 * Throws a `ConfigOptionsError` naming the offending option. Never mutates `options`.
 */
export function resolveConfigOptions<S extends ConfigSchemas>(options: ConfigPluginOptions<S>): ResolvedConfigOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const unknown = Object.keys(options).filter((k) => !(KNOWN as readonly string[]).includes(k))
  if (unknown.length > 0) fail(`unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`)

  const plugin = options.name ?? 'config'
  if (typeof plugin !== 'string' || plugin === '') fail('"name" must be a non-empty string')

  const globs = options.files === undefined ? [...DEFAULT_CONFIG_FILES] : typeof options.files === 'string' ? [options.files] : [...options.files]
  if (globs.length === 0 || globs.some((g) => typeof g !== 'string' || g === '')) fail('"files" must be a glob or a non-empty list of globs')

  const schemas: ConfigSchemas = options.schemas ?? {}
  if (typeof schemas !== 'object' || schemas === null) fail('"schemas" must be an object of schemas by config name')
  for (const [name, schema] of Object.entries(schemas)) {
    if (typeof schema !== 'object' || schema === null) fail(`the schema for config "${name}" must be a TypeBox / JSON Schema object`)
  }

  const envRaw = options.env ?? process.env['NODE_ENV']
  if (envRaw !== undefined && typeof envRaw !== 'string') fail('"env" must be a string')
  const env = envRaw === '' ? undefined : envRaw

  const required: readonly string[] = options.required ?? Object.keys(schemas)
  if (!Array.isArray(required) || required.some((n) => typeof n !== 'string')) fail('"required" must be a list of config names')
  for (const name of required) checkName('required', name, schemas)

  const restartOption: unknown = options.restartRequired ?? {}
  // The README once showed `['app.port']`: say which form is expected, with the user's own keys.
  if (Array.isArray(restartOption) || typeof restartOption !== 'object' || restartOption === null) {
    fail(`"restartRequired" must be an object of key patterns by config name, such as ${restartExample(restartOption)}`)
  }
  const restartRequired = new Map<string, ReturnType<typeof compileKeyPatterns>>()
  for (const [name, patterns] of Object.entries(restartOption as Record<string, unknown>)) {
    checkName('restartRequired', name, schemas)
    if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== 'string' || p === '')) {
      fail(`"restartRequired.${name}" must be a list of key patterns such as "server.port" or "storage.*"`)
    }
    restartRequired.set(name, compileKeyPatterns(patterns as string[]))
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

/**
 * A name in `required` or `restartRequired` that is not a config name would silently guard
 * nothing (`{ stie: ['port'] }` for `site`). With schemas given, the names are known: any other
 * is an error. Without schemas the names come only from the files, so nothing can be checked here.
 */
function checkName(option: string, name: string, schemas: ConfigSchemas): void {
  const known = Object.keys(schemas)
  if (known.length === 0 || known.includes(name)) return
  const near = closest(name, known)
  throw new ConfigOptionsError(`configPlugin(): "${option}" names config "${name}", which has no schema${near ? ` (did you mean "${near}"?)` : ''}`, {
    hint: `Config names with a schema: ${known.join(', ')}. Fix the name${near ? ` ("${near}")` : ''}, or give "${name}" a schema (Type.Unknown() accepts any value).`,
  })
}

// The nearest known name by edit distance, when it is close enough to be a typo.
function closest(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (!best || distance < best.distance) best = { name: candidate, distance }
  }
  return best && best.distance <= Math.max(2, Math.floor(name.length / 3)) ? best.name : undefined
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    row = next
  }
  return row[b.length] ?? 0
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
    hint: `Valid options: ${KNOWN.join(', ')}. See the README of @hotreload/plugin-config.`,
  })
}
