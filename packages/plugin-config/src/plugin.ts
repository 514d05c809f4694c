import type { FileChange, HotReloadEvent, Kernel, PluginEvent, Transaction, TransactionRecord } from '@hotreload/core'
import { ConfigNotAppliedError, ConfigOptionsError } from './errors.js'
import { resolveConfigOptions, type ResolvedConfigOptions } from './options.js'
import { formatDiff, redact, redactDiff } from './redact.js'
import { EMPTY_STATE, stageChanges, type ConfigState, type ConfigUpdate, type StagedConfig } from './stage.js'
import { ConfigStore } from './store.js'
import type { ConfigChangedEvent, ConfigPlugin, ConfigPluginOptions, ConfigSchemas, ConfigStream, ConfigValue } from './types.js'

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

interface PendingCommit {
  readonly version: number
  readonly events: readonly ConfigChangedEvent[]
  committed: boolean
}

class ConfigPluginInstance<S extends ConfigSchemas> implements ConfigPlugin<S> {
  readonly name: string
  readonly #settings: ResolvedConfigOptions
  readonly #store: ConfigStore
  readonly #staged = new WeakMap<Transaction, StagedConfig>()
  // Changes applied by a transaction that has not finished yet. They become visible to readers
  // once the kernel's version reaches the transaction's (it committed), and are dropped by the
  // rollback undo otherwise; listeners hear of them from the notify hook.
  readonly #pending = new Map<number, PendingCommit>()
  #state: ConfigState = EMPTY_STATE
  #kernel: Kernel | undefined

  constructor(settings: ResolvedConfigOptions) {
    this.#settings = settings
    this.name = settings.plugin
    this.#store = new ConfigStore((error, name) => this.#kernel?.log.error(`a subscriber of config "${name}" threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`))
  }

  apply(kernel: Kernel): void {
    if (this.#kernel) {
      throw new ConfigOptionsError(`the config plugin "${this.name}" is already used by another hotreload instance`, {
        hint: 'Create one configPlugin() per createHotReload().',
      })
    }
    this.#kernel = kernel
    APPLIED.add(this.name)
    const { namer, globs } = this.#settings
    kernel.include(globs)

    kernel.hooks.detect.tap(this.name, (changes: readonly FileChange[], tx: Transaction) => {
      for (const change of changes) {
        if (namer.matches(change.path) || (change.from !== undefined && namer.matches(change.from))) tx.claim(this.name, change)
      }
      return changes
    })

    kernel.hooks.validate.tapPromise(this.name, async (tx) => {
      const staged = await stageChanges(tx, this.#state, this.#settings)
      if (staged) this.#staged.set(tx, staged)
    })

    kernel.hooks.apply.tap(this.name, (tx) => {
      const staged = this.#staged.get(tx)
      if (!staged) return
      const previous = this.#state
      tx.onRollback(this.name, () => {
        this.#state = previous
        this.#pending.delete(tx.id)
      })
      this.#state = staged.state
      if (staged.updates.length === 0) return
      const time = new Date().toISOString()
      const events = staged.updates.map((u) => ({ ...this.#event(u), version: tx.version, time }))
      this.#pending.set(tx.id, { version: tx.version, events, committed: false })
      for (const update of staged.updates) tx.emit(this.#event(update))
    })

    kernel.hooks.notify.tap(this.name, (record: TransactionRecord) => {
      this.#settle()
      const pending = this.#pending.get(record.id)
      if (!pending) return
      this.#pending.delete(record.id)
      if (record.status !== 'applied' || !pending.committed) return
      this.#store.deliver(pending.events)
      if (record.reason === 'initial') {
        kernel.log.debug(`configs loaded: ${pending.events.map((e) => e.name).join(', ')}`)
        return
      }
      for (const e of pending.events) {
        const what = e.newValue === undefined ? 'removed' : e.oldValue === undefined ? 'added' : 'changed'
        kernel.log.info(`config "${e.name}" ${what}: ${formatDiff(e.diff, this.#settings.redact).join('; ') || 'no keys'}`)
      }
    })

    kernel.onClose(() => this.#store.close())
  }

  get<K extends keyof S & string>(name: K): ConfigValue<S, K>
  get(name: string): unknown
  get(name: string): unknown {
    if (!this.#kernel) throw new ConfigNotAppliedError(this.name, name, APPLIED.has(this.name))
    this.#settle()
    return this.#store.get(name)
  }

  has(name: string): boolean {
    this.#settle()
    return this.#store.has(name)
  }

  names(): string[] {
    this.#settle()
    return this.#store.names()
  }

  watch<K extends keyof S & string>(name: K): ConfigStream<ConfigValue<S, K>>
  watch(name: string): ConfigStream<unknown>
  watch(name: string): ConfigStream<unknown> {
    return this.#store.stream(name, () => this.#settle())
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

  // The kernel emits plugin events (and lets their listeners run) before the notify hook, and it
  // advances its version only on commit: reading through here means a `config:changed` listener
  // calling get() already sees the value its event announces, and never an uncommitted one.
  #settle(): void {
    const version = this.#kernel?.version() ?? 0
    for (const pending of this.#pending.values()) {
      if (pending.committed || pending.version > version) continue
      pending.committed = true
      this.#store.commit(pending.events)
    }
  }

  #event(update: ConfigUpdate): Omit<ConfigChangedEvent, 'version' | 'time'> & PluginEvent {
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
