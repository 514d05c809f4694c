import { performance } from 'node:perf_hooks'
import { createDebouncer, type Debouncer } from './debouncer.js'
import { ClosedError, HotReloadError, toErrorInfo } from './errors.js'
import { EventBus } from './event-bus.js'
import { FileState } from './file-state.js'
import { createHooks } from './hooks.js'
import { createObservability } from './observability.js'
import { resolveOptions } from './options.js'
import { createPathMatcher } from './path-matcher.js'
import { TransactionQueue } from './transaction-queue.js'
import { instrumentHooks } from './transaction.js'
import type {
  EventInput,
  Counters,
  EventMap,
  EventType,
  HotReload,
  HotReloadEvent,
  HotReloadOptions,
  Kernel,
  Logger,
  PluginEvent,
  ReloadOptions,
  Status,
  TransactionRecord,
} from './types.js'
import { startWatcher, type FileWatcher, type RawEventKind } from './watcher.js'

/** Options only the library entry point takes: a listener attached before anything runs. */
export interface CreateOptions extends HotReloadOptions {
  /**
   * Receives every event from the very start, including `ready` and the initial load's
   * `applied` or `rejected`, which happen before `createHotReload` resolves.
   */
  onEvent?: (event: HotReloadEvent) => void
}

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }

/**
 * Creates and starts a hotreload instance: validates the options, lets every plugin tap the
 * hooks, loads every watched file in an initial transaction (version 1 if it applies), then
 * starts the watcher and emits `ready`. Resolves with the running instance; an invalid initial
 * state does not throw, it is reported as `rejected` and the instance keeps watching so a fix
 * applies. Throws `OptionsError` / `PluginError` for bad options or plugins.
 */
export async function createHotReload(options: CreateOptions = {}): Promise<HotReload> {
  const { onEvent, ...rest } = options
  const { resolved, plugins } = resolveOptions(rest)
  const started = performance.now()
  const log = rest.logger ?? silentLogger
  const counters: Counters = { rawEvents: 0, batches: 0, suppressed: 0, transactions: 0, applied: 0, rejected: 0, rolledBack: 0 }
  const closeHandlers = new Set<() => void | Promise<void>>()

  const bus = new EventBus((error, event) => reportError(error, `a listener of "${event.type}" threw`))
  if (onEvent) bus.on('*', onEvent)

  function stamp<E extends { type: string; paths: readonly string[] }>(event: E): E & { version: number; time: string } {
    return { ...event, version: queue.version, time: new Date().toISOString() }
  }
  function emit(event: EventInput | PluginEvent): void {
    bus.emit(stamp(event) as HotReloadEvent)
  }
  function reportError(error: unknown, context: string, plugin?: string): void {
    const info = toErrorInfo(error, plugin === undefined ? {} : { plugin })
    log.error(`${context}: ${info.message}`)
    const path = error instanceof HotReloadError ? error.path : undefined
    emit({ type: 'error', paths: path ? [path] : [], error: { ...info, message: `${context}: ${info.message}` } })
  }

  const hooks = createHooks()
  instrumentHooks(hooks, (error, plugin) => reportError(error, `plugin "${plugin}" failed after the transaction`, plugin))
  const matcher = createPathMatcher(resolved.root, resolved.include, resolved.ignore)
  const files = new FileState(resolved.root, matcher)
  const observed = createObservability({ options: resolved, audit: rest.audit, log, reportError, status: () => instance.status() })
  const queue = new TransactionQueue({ hooks, files, options: resolved, counters, emit, reportError, log, onRecord: (r) => observed.record(r) })

  let closed = false
  let closing: Promise<void> | undefined
  let watcher: FileWatcher | undefined
  let debouncer: Debouncer | undefined

  const reload = (reloadOptions: ReloadOptions = {}): Promise<TransactionRecord> => {
    if (closed) return Promise.reject(new ClosedError('reload()'))
    return queue.manual(reloadOptions)
  }

  const kernel: Kernel = Object.freeze({
    hooks,
    root: resolved.root,
    options: resolved,
    log,
    include: (globs: string | readonly string[]) => matcher.include(typeof globs === 'string' ? [globs] : globs),
    exclude: (paths: string | readonly string[]) => matcher.exclude(typeof paths === 'string' ? [paths] : paths),
    reload,
    emit: (event: PluginEvent) => emit(event),
    version: () => queue.version,
    onClose(fn: () => void | Promise<void>) {
      closeHandlers.add(fn)
      return () => void closeHandlers.delete(fn)
    },
  })

  for (const plugin of plugins) await plugin.apply(kernel)

  const onRaw = (kind: RawEventKind, rel: string): void => {
    counters.rawEvents++
    // The watcher lists a new directory itself and reports its files; a deleted directory can
    // arrive as that one event, so every applied file below it is reconciled.
    if (kind === 'addDir') return
    if (kind === 'unlinkDir') {
      for (const p of files.under(rel)) debouncer?.add(p)
      return
    }
    debouncer?.add(rel)
  }

  await queue.initial()

  if (resolved.watch) {
    debouncer = createDebouncer({
      debounceMs: resolved.debounceMs,
      maxWaitMs: resolved.maxWaitMs,
      onFlush: (paths) => {
        counters.batches++
        queue.watched(paths)
      },
    })
    watcher = await startWatcher({
      root: resolved.root,
      matcher,
      usePolling: resolved.usePolling,
      // chokidar holds an unlink back this long to see whether the path comes back: shorter than
      // the debounce, so both halves of a rename still land in one batch and pair up.
      atomicMs: resolved.debounceMs === 0 ? 0 : Math.min(25, Math.floor(resolved.debounceMs / 2)),
      onEvent: onRaw,
      onError: (error) => reportError(error, 'the file watcher failed'),
    })
  }
  emit({ type: 'ready', paths: [], files: files.baseline().size, durationMs: Math.round(performance.now() - started) })

  const instance: HotReload = {
    root: resolved.root,
    on<K extends EventType>(type: K | '*', listener: (event: EventMap[K]) => void): () => void {
      return bus.on(type, listener as (e: HotReloadEvent) => void)
    },
    once<K extends EventType>(type: K, listener: (event: EventMap[K]) => void): () => void {
      return bus.once(type, listener as (e: HotReloadEvent) => void)
    },
    events: () => bus.iterate(),
    [Symbol.asyncIterator]: () => bus.iterate(),
    reload,
    status(): Status {
      return Object.freeze({
        version: queue.version,
        root: resolved.root,
        watching: watcher !== undefined && !closed,
        files: files.baseline().size,
        busy: queue.busy,
        pending: [...new Set([...(debouncer?.pending() ?? []), ...queue.pending()])].sort(),
        ...(queue.last ? { last: queue.last } : {}),
        counters: Object.freeze({ ...counters }),
        plugins: plugins.map((p) => p.name),
        closed,
      })
    },
    history: () => queue.history(),
    metrics: () => observed.metrics(),
    close(): Promise<void> {
      closing ??= (async () => {
        closed = true
        debouncer?.close()
        await watcher?.close()
        await queue.drain()
        for (const fn of [...closeHandlers].reverse()) {
          try {
            await fn()
          } catch (error) {
            reportError(error, 'a close handler failed')
          }
        }
        await observed.close()
        bus.close()
      })()
      return closing
    },
  }
  return instance
}
