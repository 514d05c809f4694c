import type { HotReloadEvent, Plugin } from '@hotreload/core'
import type { Static, TSchema } from '@sinclair/typebox'
import type { ConfigChangedEvent } from './events.js'

/** Schemas by config name, written with @sinclair/typebox (or any JSON Schema ajv compiles). */
export type ConfigSchemas = Readonly<Record<string, TSchema>>

/** A value the app may read but never change: configs are deep-frozen before they are handed out. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T

/** The type of config `K`: from its schema when it has one, otherwise `unknown`. */
export type ConfigValue<S extends ConfigSchemas, K extends string> = K extends keyof S ? DeepReadonly<Static<S[K]>> : unknown

/**
 * The config names `required` and `restartRequired` may use: the schemas' names when there are
 * schemas (so a misspelled name is a type error), any string when there are none.
 */
export type ConfigName<S extends ConfigSchemas> = [keyof S] extends [never] ? string : string extends keyof S ? string : keyof S & string

/** Options of `configPlugin()`. Every option is optional. */
export interface ConfigPluginOptions<S extends ConfigSchemas = ConfigSchemas> {
  /** Plugin name in events, problems and history. Default `config`; set it to use two instances. */
  readonly name?: string
  /**
   * picomatch globs, relative to the root, of the config files. The config name is the path
   * below the glob's base directory without extension. Default `config/**\/*.{json,yaml,yml,toml}`.
   */
  readonly files?: string | readonly string[]
  /** A TypeBox schema per config name; `get`/`watch` are typed from it. Compiled once, here. */
  readonly schemas?: S
  /** Which overlay applies (`app.<env>.yaml`). Default `process.env.NODE_ENV`; `''` for none. */
  readonly env?: string
  /**
   * Configs that must exist: missing at start or deleted later, the transaction is rejected and
   * the last good value stays. Default: every config that has a schema. With schemas, every
   * name here must be one of theirs (checked by the types and when the plugin is created).
   */
  readonly required?: NoInfer<readonly ConfigName<S>[]>
  /**
   * Key patterns per config name that the app reads only at start, e.g.
   * `{ app: ['server.port', 'storage.*'] }`. A change under them is rejected with
   * "restart needed". Dot paths; `*` is one key, `**` any depth (picomatch). With schemas,
   * every name here must be one of theirs (checked by the types and when the plugin is created).
   */
  readonly restartRequired?: NoInfer<{ readonly [K in ConfigName<S>]?: readonly string[] }>
  /** Keys whose values are hidden in logs and printed output. Default `/password|secret|token|key/i`. */
  readonly redact?: RegExp
  /** Larger files are refused before parsing. Default 1 MiB. */
  readonly maxFileBytes?: number
  /** Most YAML alias expansions per file (billion-laughs guard). Default 100. */
  readonly maxAliasCount?: number
}

/**
 * The committed values of one config over time. `for await` yields the current value first
 * (when loaded), then every committed change; if several commit while the loop body runs it
 * yields only the newest, since a config is state, not a log. A removed config is skipped by
 * the loop (see `subscribe` to hear of it). The loop ends when the hotreload instance closes.
 */
export interface ConfigStream<T> extends AsyncIterable<T> {
  /** The config name. */
  readonly name: string
  /** The committed value now, or undefined when the config is not loaded. */
  readonly current: T | undefined
  /**
   * Resolves with the value of the next committed change that passes this stream's selection
   * (undefined if that change removed the config). Rejects if the instance closes first.
   */
  next(): Promise<T | undefined>
  /**
   * Calls `listener` after every committed change that passes this stream's selection, with
   * the new value (undefined when removed) and the event. Returns the unsubscribe function.
   */
  subscribe(listener: (value: T | undefined, event: ConfigChangedEvent) => void): () => void
  /**
   * A stream of the same config that fires only when a key matching `patterns` changes
   * (`'db.pool.*'`, `['server.host', 'features.**']`), including when an ancestor is replaced
   * or a descendant changes. Streams from `select` can be narrowed again.
   */
  select(patterns: string | readonly string[]): ConfigStream<T>
}

/**
 * The plugin returned by `configPlugin()`: pass it to `createHotReload({ plugins })`, and keep it
 * to read configs in the app. Reads see committed values only.
 */
export interface ConfigPlugin<S extends ConfigSchemas = ConfigSchemas> extends Plugin {
  /** The committed value of a config, typed from its schema. Throws `ConfigNotLoadedError` if it has none. */
  get<K extends keyof S & string>(name: K): ConfigValue<S, K>
  get(name: string): unknown
  /** True if the config has a committed value. */
  has(name: string): boolean
  /** The names of every loaded config, sorted. */
  names(): string[]
  /** The stream of a config's committed values; works before the config is loaded. */
  watch<K extends keyof S & string>(name: K): ConfigStream<ConfigValue<S, K>>
  watch(name: string): ConfigStream<unknown>
  /**
   * A copy of one of this plugin's `config:changed` events with values under secret-looking keys
   * (the `redact` option) replaced by `"[redacted]"`; any other event is returned as is. The CLI
   * calls it before printing; in-process listeners always get the real event.
   */
  redactEvent(event: HotReloadEvent): HotReloadEvent
}
