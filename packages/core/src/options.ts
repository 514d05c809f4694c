import { resolve } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import { Ajv } from 'ajv'
import { OptionsError, PluginError } from './errors.js'
import type { HotReloadOptions, Plugin, ResolvedOptions } from './types.js'

/** Watched by default, as in the original design: configuration, templates, static files. */
export const DEFAULT_INCLUDE: readonly string[] = Object.freeze([
  'config/**/*.{toml,yaml,yml,json}',
  'templates/**/*',
  'static/**/*',
])

/** Never watched by default: editor temp and swap files, dotfiles and dot directories, dependencies. */
export const DEFAULT_IGNORE: readonly string[] = Object.freeze([
  '**/*.tmp',
  '**/*.swp',
  '**/*~',
  '**/.*',
  '**/node_modules/**',
])

const Millis = (description: string) => Type.Integer({ minimum: 0, maximum: 3_600_000, description })

// Functions and plugin objects are not JSON data: they are accepted here and checked by hand below.
const OptionsSchema = Type.Object(
  {
    root: Type.Optional(Type.String({ minLength: 1 })),
    include: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    ignore: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    replaceDefaultIgnore: Type.Optional(Type.Boolean()),
    debounceMs: Type.Optional(Millis('quiet period before a batch runs')),
    maxWaitMs: Type.Optional(Millis('longest a batch waits while writes continue')),
    stageTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000 })),
    historyLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    dryRun: Type.Optional(Type.Boolean()),
    usePolling: Type.Optional(Type.Boolean()),
    watch: Type.Optional(Type.Boolean()),
    plugins: Type.Optional(Type.Array(Type.Unknown())),
    logger: Type.Optional(Type.Unknown()),
    audit: Type.Optional(
      Type.Union([
        Type.Boolean(),
        Type.Object(
          { maxFileBytes: Type.Optional(Type.Integer({ minimum: 1024 })), maxFiles: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
          { additionalProperties: false },
        ),
      ]),
    ),
  },
  { additionalProperties: false },
)
type CheckedOptions = Static<typeof OptionsSchema>

const ajv = new Ajv({ allErrors: true, strict: true })
const checkOptions = ajv.compile<CheckedOptions>(OptionsSchema)

/**
 * Validates the options passed to `createHotReload` and fills in defaults. Throws an
 * `OptionsError` naming every unknown key or wrong type. Never mutates `options`.
 */
export function resolveOptions(options: HotReloadOptions, source = 'createHotReload()'): { resolved: ResolvedOptions; plugins: Plugin[] } {
  if (typeof options !== 'object' || options === null) {
    throw new OptionsError(`${source}: options must be an object, got ${options === null ? 'null' : typeof options}`)
  }
  if (!checkOptions(options)) {
    const lines = (checkOptions.errors ?? []).map((e) => {
      if (e.keyword === 'additionalProperties') {
        const key = String(e.params['additionalProperty'])
        return `unknown option "${key}"${suggest(key)}`
      }
      const at = e.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(options)'
      return `option "${at}" ${e.message ?? 'is invalid'}`
    })
    throw new OptionsError(`${source}: ${lines.join('; ')}`, {
      hint: `Valid options: ${Object.keys(OptionsSchema.properties).join(', ')}.`,
    })
  }
  const plugins = (options.plugins ?? []).map((p, i) => checkPlugin(p, i))
  const names = new Set<string>()
  for (const p of plugins) {
    if (names.has(p.name)) throw new PluginError(`two plugins are named "${p.name}"`, { hint: 'Give each plugin instance a unique name option.' })
    names.add(p.name)
  }
  const debounceMs = options.debounceMs ?? 50
  const resolved: ResolvedOptions = Object.freeze({
    root: resolve(options.root ?? '.'),
    include: Object.freeze([...(options.include ?? DEFAULT_INCLUDE)]),
    ignore: Object.freeze([...(options.replaceDefaultIgnore ? [] : DEFAULT_IGNORE), ...(options.ignore ?? [])]),
    debounceMs,
    maxWaitMs: Math.max(options.maxWaitMs ?? 1000, debounceMs),
    stageTimeoutMs: options.stageTimeoutMs ?? 10_000,
    historyLimit: options.historyLimit ?? 100,
    dryRun: options.dryRun ?? false,
    usePolling: options.usePolling ?? false,
    watch: options.watch ?? true,
  })
  return { resolved, plugins }
}

function checkPlugin(value: unknown, index: number): Plugin {
  const p = value as Partial<Plugin> | null
  if (typeof p !== 'object' || p === null || typeof p.name !== 'string' || !p.name || typeof p.apply !== 'function') {
    throw new PluginError(`plugins[${index}] is not a plugin: expected { name: string, apply(kernel) }`, {
      hint: 'Call the plugin factory, e.g. plugins: [config()] rather than plugins: [config].',
    })
  }
  return p as Plugin
}

function suggest(key: string): string {
  const known = Object.keys(OptionsSchema.properties)
  const lower = key.toLowerCase()
  const match = known.find((k) => k.toLowerCase() === lower || k.toLowerCase().startsWith(lower.slice(0, 4)))
  return match ? ` (did you mean "${match}"?)` : ''
}
