import { createStagingKey, type HotReloadEvent, type Kernel, type PluginEvent, type StampedFields } from '@hotreload/core'
import { ConfigNotAppliedError } from './errors.js'
import { resolveConfigOptions, type ResolvedConfigOptions } from './options.js'
import { formatDiff, redact, redactDiff } from './redact.js'
import type { ConfigChangedEvent } from './events.js'
import { EMPTY_STATE, stageChanges, type ConfigState, type ConfigUpdate, type StagedConfig } from './stage.js'
import { ConfigStore } from './store.js'
import type { ConfigPlugin, ConfigPluginOptions, ConfigSchemas, ConfigStream, ConfigValue } from './types.js'

/**
 * Creates the config plugin: pass it to `createHotReload({ plugins: [configs] })` and keep it to
 * read configs. It watches the `files` globs, parses JSON (with comments), YAML and TOML,
 * merges the overlay of the active environment over each base file, validates against the
 * TypeBox schemas, and makes each committed change visible through `get`, `watch` and the
 * `config:changed` event. Throws a `ConfigOptionsError` at once for bad options or a schema
 * ajv cannot compile.
 */
export function configPlugin<const S extends ConfigSchemas = Record<never, never>>(options: ConfigPluginOptions<S> = {}): ConfigPlugin<S> {
  return new ConfigPluginInstance<S>(resolveConfigOptions(options))
}

// Names of the config plugins applied in this process. On globalThis, not in this module: an
// app holding a second copy of its hotreload.config.ts may hold a second copy of this package too.
const APPLIED_KEY = Symbol.for('@hotreload/plugin-config:applied')
const APPLIED: Set<string> = ((globalThis as Record<symbol, Set<string> | undefined>)[APPLIED_KEY] ??= new Set<string>())

class ConfigPluginInstance<S extends ConfigSchemas> implements ConfigPlugin<S> {
  readonly name: string
  readonly #settings: ResolvedConfigOptions
  readonly #store: ConfigStore
  readonly #key = createStagingKey<StagedConfig>('config')
  // What the last commit left: the files and values staged transactions build on. Readers go
  // through the store, which changes only in the commit tap.
  #state: ConfigState = EMPTY_STATE
  /** Committed changes whose `applied` event has not been delivered yet, by transaction id. */
  readonly #undelivered = new Map<number, { readonly events: readonly ConfigChangedEvent[]; readonly initial: boolean }>()

  constructor(settings: ResolvedConfigOptions) {
    this.#settings = settings
    this.name = settings.plugin
    this.#store = new ConfigStore((error, name) => this.#log?.error(`a subscriber of config "${name}" threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`))
  }

  #log: Kernel['log'] | undefined

  apply(kernel: Kernel): void {
    this.#log = kernel.log
    APPLIED.add(this.name)
    const { namer, globs } = this.#settings
    // The limit goes to the core, which then never reads a larger file (issue 12: a 20 MiB file
    // was read and hashed whole before it was refused); loadFile refuses it by its size.
    kernel.claimFiles(this.name, globs, (change) => namer.matches(change.path) || (change.from !== undefined && namer.matches(change.from)), {
      maxFileBytes: this.#settings.maxFileBytes,
    })

    kernel.hooks.validate.tapPromise(this.name, async (tx) => {
      const staged = await stageChanges(tx, this.#state, this.#settings)
      if (staged) tx.stage(this.#key, staged)
    })

    // Nothing to apply: parsing and validation staged everything, and the values become
    // visible only in commit, so a transaction that rolls back later was never seen.
    kernel.hooks.commit.tap(this.name, (tx) => {
      const staged = tx.staged(this.#key)
      if (!staged) return
      this.#state = staged.state
      if (staged.updates.length === 0) return
      const time = new Date().toISOString()
      const events: ConfigChangedEvent[] = []
      for (const update of staged.updates) {
        const event = this.#event(update)
        tx.emit(event)
        events.push({ ...event, version: tx.version, runId: tx.runId, time })
      }
      this.#store.commit(events)
      this.#undelivered.set(tx.id, { events, initial: tx.reason === 'initial' })
    })
    // Stream subscribers hear of a commit once its events are out, like every other listener.
    // The log line follows them: formatting the redacted diff took ~50 µs of a save, and the
    // subscribers need not wait for it (issue 11).
    kernel.on('applied', (event) => {
      const committed = this.#undelivered.get(event.id)
      if (!committed) return
      this.#undelivered.delete(event.id)
      this.#store.deliver(committed.events)
      this.#logCommit(committed.initial, committed.events)
    })

    kernel.onClose(() => this.#store.close())
  }

  #logCommit(initial: boolean, events: readonly ConfigChangedEvent[]): void {
    if (initial) {
      this.#log?.debug(`configs loaded: ${events.map((e) => e.name).join(', ')}`)
      return
    }
    for (const e of events) {
      const what = e.newValue === undefined ? 'removed' : e.oldValue === undefined ? 'added' : 'changed'
      this.#log?.info(`config "${e.name}" ${what}: ${formatDiff(e.diff, this.#settings.redact).join('; ') || 'no keys'}`)
    }
  }

  get<K extends keyof S & string>(name: K): ConfigValue<S, K>
  get(name: string): unknown
  get(name: string): unknown {
    if (!this.#log) throw new ConfigNotAppliedError(this.name, name, APPLIED.has(this.name))
    return this.#store.get(name)
  }

  has(name: string): boolean {
    return this.#store.has(name)
  }

  names(): string[] {
    return this.#store.names()
  }

  watch<K extends keyof S & string>(name: K): ConfigStream<ConfigValue<S, K>>
  watch(name: string): ConfigStream<unknown>
  watch(name: string): ConfigStream<unknown> {
    return this.#store.stream(name)
  }

  /**
   * Masks values under secret-looking keys (the `redact` option) in this plugin's events before
   * the CLI prints them, as text or `--json`. In-process listeners get the real values.
   */
  redactEvent(event: HotReloadEvent): HotReloadEvent {
    if (event.type !== 'config:changed' || event.plugin !== this.name) return event
    const pattern = this.#settings.redact
    return { ...event, oldValue: redact(event.oldValue, pattern), newValue: redact(event.newValue, pattern), diff: redactDiff(event.diff, pattern) }
  }

  #event(update: ConfigUpdate): Omit<ConfigChangedEvent, StampedFields> & PluginEvent {
    return {
      type: 'config:changed',
      plugin: this.name,
      name: update.name,
      oldValue: update.oldValue,
      newValue: update.newValue,
      diff: update.diff,
      paths: update.paths,
    }
  }
}
