import { isAbsolute, resolve } from 'node:path'
import { Type } from '@sinclair/typebox'
import type { AuditOptions } from './audit.js'
import { PluginError } from './errors.js'
import type { Logger } from './logger.js'
import { checkOptions } from './option-check.js'
import type { Plugin } from './plugin.js'
import type { ResolvedOptions } from './settings.js'
import type { WatcherBackend } from './watchers/backend.js'

/** Watched by default, as in the original design: configuration, templates, static files. */
export const DEFAULT_INCLUDE: readonly string[] = Object.freeze(['config/**/*.{toml,yaml,yml,json}', 'templates/**/*', 'static/**/*'])

/** Never watched by default: editor temp and swap files, dotfiles and dot directories, dependencies. */
export const DEFAULT_IGNORE: readonly string[] = Object.freeze(['**/*.tmp', '**/*.swp', '**/*~', '**/.*', '**/node_modules/**'])

/** The options accepted by `createHotReload` and `defineConfig`. */
export interface HotReloadOptions {
  /** Project root; relative paths resolve against it. Default: the current directory. */
  readonly root?: string
  /** Globs of watched files. Default: config, templates and static files (see DEFAULT_INCLUDE). */
  readonly include?: readonly string[]
  /** Globs never watched, added to the defaults unless `replaceDefaultIgnore` is set. */
  readonly ignore?: readonly string[]
  readonly replaceDefaultIgnore?: boolean
  /** Quiet period before a batch runs. Default 50. */
  readonly debounceMs?: number
  /** A file written continuously still reloads at least this often. Default 1000. */
  readonly maxWaitMs?: number
  /** Time limit for each of detect, validate, apply and commit. Default 10000. */
  readonly stageTimeoutMs?: number
  /** Time limit of the prepare gate (an outside vote), separate from `stageTimeoutMs`. Default 30000. */
  readonly prepareTimeoutMs?: number
  /** Time limit of each notify tap; the next transaction never waits for it. Default 5000. */
  readonly notifyTimeoutMs?: number
  /** Transactions kept by `history()`. Default 100. */
  readonly historyLimit?: number
  /** Every transaction stops after validate and applies and writes nothing. Default false. */
  readonly dryRun?: boolean
  /** Use stat polling instead of native events (network drives, containers). Default false. */
  readonly usePolling?: boolean
  /** Start without a watcher: only `reload()` runs transactions (`hotreload check`). */
  readonly watch?: boolean
  /**
   * The watcher backend: `'chokidar'` (default), `'parcel'` (`@parcel/watcher`, an optional
   * dependency: one native recursive watch, for large trees; no polling mode), or a
   * `WatcherBackend` object.
   */
  readonly watcher?: string | WatcherBackend
  /** The framework's own state (last committed version), relative to the root. Default `.hotreload`. */
  readonly stateDir?: string
  readonly plugins?: readonly Plugin[]
  readonly logger?: Logger
  /**
   * The audit trail in `<stateDir>/audit.jsonl`: every transaction, one JSON line, credentials
   * redacted, rotated at a size cap (see `AuditOptions`). `false` turns it off. Default on.
   */
  readonly audit?: boolean | AuditOptions
}

const Millis = (minimum: number) => Type.Integer({ minimum, maximum: 3_600_000 })

// Functions and plugin objects are not JSON data: they are accepted here and checked by hand below.
const OptionsSchema = Type.Object(
  {
    root: Type.Optional(Type.String({ minLength: 1 })),
    include: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    ignore: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    replaceDefaultIgnore: Type.Optional(Type.Boolean()),
    debounceMs: Type.Optional(Millis(0)),
    maxWaitMs: Type.Optional(Millis(0)),
    stageTimeoutMs: Type.Optional(Millis(1)),
    prepareTimeoutMs: Type.Optional(Millis(1)),
    notifyTimeoutMs: Type.Optional(Millis(1)),
    historyLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    dryRun: Type.Optional(Type.Boolean()),
    usePolling: Type.Optional(Type.Boolean()),
    watch: Type.Optional(Type.Boolean()),
    watcher: Type.Optional(Type.Unknown()),
    stateDir: Type.Optional(Type.String({ minLength: 1 })),
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

/**
 * Validates the options passed to `createHotReload` and fills in defaults. Throws an
 * `OptionsError` naming every unknown key (with a did-you-mean) or wrong type, and a
 * `PluginError` for a value in `plugins` that is not a plugin. Never mutates `options`.
 */
export function resolveOptions(options: HotReloadOptions, source = 'createHotReload()'): { resolved: ResolvedOptions; plugins: Plugin[]; backend: string | WatcherBackend } {
  checkOptions(OptionsSchema, options, { source })
  const plugins = (options.plugins ?? []).map((p, i) => checkPlugin(p, i))
  const names = new Set<string>()
  for (const p of plugins) {
    if (names.has(p.name)) throw new PluginError(`two plugins are named "${p.name}"`, { hint: 'Give each plugin instance a unique name option.' })
    names.add(p.name)
  }
  const backend = options.watcher ?? 'chokidar'
  if (typeof backend !== 'string' && (typeof backend !== 'object' || backend === null || typeof (backend as WatcherBackend).start !== 'function')) {
    throw new PluginError('option "watcher" must be a backend name ("chokidar", "parcel") or a WatcherBackend object { name, start(options) }')
  }
  const debounceMs = options.debounceMs ?? 50
  const root = resolve(options.root ?? '.')
  const stateDir = options.stateDir ?? '.hotreload'
  const resolved: ResolvedOptions = Object.freeze({
    root,
    include: Object.freeze([...(options.include ?? DEFAULT_INCLUDE)]),
    ignore: Object.freeze([...(options.replaceDefaultIgnore ? [] : DEFAULT_IGNORE), ...(options.ignore ?? [])]),
    debounceMs,
    maxWaitMs: Math.max(options.maxWaitMs ?? 1000, debounceMs),
    stageTimeoutMs: options.stageTimeoutMs ?? 10_000,
    prepareTimeoutMs: options.prepareTimeoutMs ?? 30_000,
    notifyTimeoutMs: options.notifyTimeoutMs ?? 5_000,
    historyLimit: options.historyLimit ?? 100,
    dryRun: options.dryRun ?? false,
    usePolling: options.usePolling ?? false,
    watch: options.watch ?? true,
    watcher: typeof backend === 'string' ? backend : backend.name,
    stateDir: isAbsolute(stateDir) ? stateDir : resolve(root, stateDir),
  })
  return { resolved, plugins, backend }
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
