import { sep } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { ChangeSource } from './changes.js'
import { claimFiles } from './claim-files.js'
import { startFileDetection, startSourceDetection, type Detection } from './detection.js'
import { ClosedError, HotReloadError, PluginError, toErrorInfo } from './errors.js'
import { EventBus } from './event-bus.js'
import type { EventInput, EventMap, EventType, HotReloadEvent, PluginEvent } from './events.js'
import { FileState } from './file-state.js'
import { throttleProgress, type LoadProgress } from './load-progress.js'
import { invalidNameError } from './list-files.js'
import { createHooks } from './hooks.js'
import { createObservability } from './observability.js'
import { silentLogger } from './logger.js'
import { resolveOptions, type HotReloadOptions } from './options.js'
import { createPathMatcher } from './path-matcher.js'
import type { ClaimOptions, Counters, HotReload, Kernel, Plugin, ReloadOptions, Status, StatusReport, StatusReportOptions } from './plugin.js'
import { ReadNeedsRegistry } from './read-needs.js'
import type { TransactionRecord } from './record.js'
import { RunState } from './run-state.js'
import { onFdLimit } from './fd-limit.js'
import { acquireWriterLock, type LockOutcome } from './lock.js'
import { collectStatusReport } from './status-report.js'
import { sweepTemps } from './sweep.js'
import { guardHooks } from './tap-guard.js'
import { TransactionQueue } from './transaction-queue.js'
import { selectBackend } from './watchers/index.js'

/** Options only the library entry point takes: a listener attached before anything runs. */
export interface CreateOptions extends HotReloadOptions {
  /**
   * Receives every event from the very start, including `ready` and the initial load's
   * `applied` or `rejected`, which happen before `createHotReload` resolves.
   */
  readonly onEvent?: (event: HotReloadEvent) => void
  /**
   * Receives the initial load's progress, for a progress display (the CLI's on a terminal),
   * before `createHotReload` resolves: once with `done: 0` when the files are listed, at most
   * every 100 ms while they are read, and once with `done === total` when all are read
   * (validation and apply follow, then the watcher starts). Later transactions do not report
   * progress. A listener that throws is reported as an `error` event and not called again.
   */
  readonly onLoadProgress?: (progress: LoadProgress) => void
}

// A plugin object keeps the state it serves: it belongs to the one instance it was applied to.
const appliedTo = new WeakMap<Plugin, string>()

/**
 * Creates and starts a hotreload instance: validates the options, lets every plugin tap the
 * hooks, loads every watched file in an initial transaction (continuing from the last version
 * committed at this root), then starts the watcher and emits `ready`. Resolves with the running
 * instance; an invalid initial state does not throw, it is reported as `rejected` and the
 * instance keeps watching so a fix applies. Throws `OptionsError` / `PluginError` for bad
 * options or plugins, including a plugin object already applied to another instance.
 */
export async function createHotReload(options: CreateOptions = {}): Promise<HotReload> {
  const { onEvent, onLoadProgress, ...rest } = options
  const { resolved, plugins, backend: backendChoice } = resolveOptions(rest)
  const backend = selectBackend(backendChoice)
  for (const plugin of plugins) {
    const owner = appliedTo.get(plugin)
    if (owner !== undefined) {
      throw new PluginError(`plugin "${plugin.name}" is already applied to the instance rooted at ${owner}`, {
        plugin: plugin.name,
        hint: 'A plugin object serves one instance: call its factory again for another createHotReload().',
      })
    }
  }
  // A backend on a native package (parcel) fails here, before any plugin runs and before the
  // writer lock is taken, when it is missing.
  if (resolved.watch) await backend.load?.({ usePolling: resolved.usePolling })
  const runState = new RunState(resolved.stateDir, !resolved.dryRun)
  // One writer per root; a dry run (check, read-only commands) writes nothing and takes no lock.
  const writer: LockOutcome = resolved.dryRun ? {} : acquireWriterLock(resolved.stateDir, resolved.root, runState.runId)
  for (const plugin of plugins) appliedTo.set(plugin, resolved.root)

  const started = performance.now()
  const log = rest.logger ?? silentLogger
  const counters: Counters = { rawEvents: 0, batches: 0, suppressed: 0, transactions: 0, applied: 0, rejected: 0, rolledBack: 0, aborted: 0 }
  const closeHandlers = new Set<() => void | Promise<void>>()

  const bus = new EventBus((error, event) => reportError(error, `a listener of "${event.type}" threw`))
  if (onEvent) bus.on('*', onEvent)

  function emit(event: EventInput | PluginEvent): void {
    bus.emit({ ...event, version: queue.version, runId: runState.runId, time: new Date().toISOString() } as HotReloadEvent)
  }
  function reportError(error: unknown, context: string, plugin?: string): void {
    const info = toErrorInfo(error, plugin === undefined ? {} : { plugin })
    log.error(`${context}: ${info.message}`)
    const path = error instanceof HotReloadError ? error.path : undefined
    emit({ type: 'error', paths: path ? [path] : [], error: { ...info, message: `${context}: ${info.message}` } })
  }

  const hooks = createHooks()
  guardHooks(hooks, {
    notifyTimeoutMs: resolved.notifyTimeoutMs,
    reportTapError: (error, plugin, stage) => reportError(error, `plugin "${plugin}" failed in ${stage}`, plugin),
  })
  const matcher = createPathMatcher(resolved.root, resolved.include, resolved.ignore)
  // The framework's own state is never a change, even where the user replaced the default ignores.
  matcher.exclude([resolved.stateDir])
  const reads = new ReadNeedsRegistry()
  const files = new FileState(resolved.root, matcher, {
    needs: (rel) => reads.needs(rel),
    onInvalidName: (dirRel, raw) => reportError(invalidNameError(dirRel, raw), 'scanning the files'),
  })
  let source: ChangeSource = files
  let sourceOwner: string | undefined
  let applying: string | undefined
  const observed = createObservability({ options: resolved, audit: rest.audit, log, hooks, reportError, status: () => status() })
  const loadProgress = onLoadProgress ? throttleProgress(onLoadProgress, (error) => reportError(error, 'the onLoadProgress listener threw')) : undefined
  const queue = new TransactionQueue(
    { hooks, source: () => source, options: resolved, counters, runState, emit, reportError, onRecord: (r) => observed.record(r), ...(loadProgress ? { loadProgress } : {}) },
    runState.load(log),
  )

  let closed = false
  let closing: Promise<void> | undefined
  let detection: Detection | undefined
  // While the watcher starts, a late include() is applied once it is ready.
  let starting = false
  let includedWhileStarting = false

  const reload = (reloadOptions: ReloadOptions = {}): Promise<TransactionRecord> => {
    if (closed) return Promise.reject(new ClosedError('reload()'))
    return queue.manual(reloadOptions)
  }
  const on = <K extends EventType>(type: K | '*', listener: (event: EventMap[K]) => void): (() => void) => bus.on(type, listener as (e: HotReloadEvent) => void)
  const include = (globs: string | readonly string[]): (() => void) => {
    const removal = matcher.include(typeof globs === 'string' ? [globs] : globs)
    if (starting) includedWhileStarting = true
    detection?.refresh()
    return removal
  }

  const status = (): Status =>
    Object.freeze({
      version: queue.version,
      runId: runState.runId,
      root: resolved.root,
      watching: detection !== undefined && !closed,
      source: source === files ? backend.name : source.name,
      files: source.size(),
      busy: queue.busy,
      pending: [...new Set([...(detection?.pending() ?? []), ...queue.pending()])].sort(),
      ...(queue.last ? { last: queue.last } : {}),
      counters: Object.freeze({ ...counters }),
      plugins: plugins.map((p) => p.name),
      closed,
    })
  const statusReport = (reportOptions?: StatusReportOptions): Promise<StatusReport> => collectStatusReport(status(), plugins, reportOptions)

  const kernel: Kernel = Object.freeze({
    hooks,
    root: resolved.root,
    runId: runState.runId,
    options: resolved,
    log,
    include,
    exclude: (paths: string | readonly string[]) => matcher.exclude(typeof paths === 'string' ? [paths] : paths),
    claimFiles: (plugin: string, globs: string | readonly string[], filter?: Parameters<Kernel['claimFiles']>[2], claimOptions?: ClaimOptions) =>
      claimFiles(hooks, include, plugin, globs, filter, claimOptions, reads),
    useChangeSource(next: ChangeSource) {
      if (applying === undefined) throw new PluginError('useChangeSource() can only be called from a plugin\'s apply(kernel)')
      if (sourceOwner !== undefined) {
        throw new PluginError(`plugin "${applying}" cannot replace the change source: plugin "${sourceOwner}" already did`, {
          plugin: applying,
          hint: 'Use one plugin that supplies a change source per instance.',
        })
      }
      sourceOwner = applying
      source = next
    },
    reload,
    emit: (event: PluginEvent) => emit(event),
    on,
    version: () => queue.version,
    status,
    statusReport,
    history: () => queue.history(),
    metrics: () => observed.metrics(),
    onClose(fn: () => void | Promise<void>) {
      closeHandlers.add(fn)
      return () => void closeHandlers.delete(fn)
    },
    sweepTemps: (dir: string, sweepOptions?: { readonly recursive?: boolean }) => sweep(dir, sweepOptions?.recursive === true),
  })
  // Directories swept whole: a plugin directory inside one (backups under .hotreload) is done.
  const swept: string[] = []
  async function sweep(dir: string, recursive: boolean): Promise<number> {
    if (resolved.dryRun || swept.some((d) => dir === d || dir.startsWith(d + sep))) return 0
    if (recursive) swept.push(dir)
    try {
      const removed = await sweepTemps(dir, { recursive })
      if (removed.length > 0) log.warn(`removed ${removed.length} temp file(s) an interrupted run left in ${dir}`)
      return removed.length
    } catch (error) {
      log.warn(`cannot sweep the temp files in ${dir}: ${(error as Error).message}`)
      return 0
    }
  }

  // Descriptors running out is process-wide: said once per shortage, while reads wait it out.
  const stopFdNotices = onFdLimit((error) => reportError(error, 'file descriptors ran out'))
  closeHandlers.add(stopFdNotices)
  try {
    if (writer.warning) reportError(new HotReloadError('HR_LOCK_WARNING', writer.warning, { hint: 'Nothing to do unless another writer runs on this root.' }), 'writer lock')
    await sweep(resolved.stateDir, true)
    for (const plugin of plugins) {
      applying = plugin.name
      await plugin.apply(kernel)
    }
    applying = undefined
    // The watcher's scan (chokidar lists and watches every directory) and the initial load's
    // reads both wait on the file system: overlapped, ready comes after the slower of the two
    // rather than after their sum (issue 11). An event during the load queues behind it, and a
    // file written while both run is seen by one or the other. The watcher starts once the load
    // has listed the tree: a listing that ran out of descriptors (EMFILE, waited out in
    // fd-limit.ts) is over by then, and the reads that follow hold one descriptor at a time.
    // A backend that crawls in a thread of its own (`startsWithLoad`) starts with the listing.
    starting = true
    const onBatch = (paths: string[]): void => queue.watched(paths)
    const watchFiles = resolved.watch && source === files
    let listed: ((ok: boolean) => void) | undefined
    const afterListing = backend.startsWithLoad === true ? Promise.resolve(true) : new Promise<boolean>((resolve) => (listed = resolve))
    const loading = queue.initial(() => listed?.(true))
    // A load that fails before its listing ends starts no watcher (one started with it is closed below).
    loading.catch(() => listed?.(false))
    const [loaded, watching] = await Promise.allSettled([
      loading,
      watchFiles
        ? afterListing.then((ok) => (!ok ? undefined : startFileDetection({ backend, files, matcher, options: resolved, counters, onBatch, onError: (error) => reportError(error, 'the file watcher failed') })))
        : Promise.resolve(undefined),
    ])
    starting = false
    if (watching.status === 'rejected') {
      // The load may still have succeeded; nothing watches, so nothing more is coming.
      throw watching.reason
    }
    detection = watching.value
    if (loaded.status === 'rejected') {
      await detection?.close()
      detection = undefined
      throw loaded.reason
    }
    if (includedWhileStarting) detection?.refresh()
    if (resolved.watch && !watchFiles) {
      detection = await startSourceDetection(source, onBatch, (error) => reportError(error, `the change source "${source.name}" failed`))
    }
  } catch (error) {
    files.stop()
    stopFdNotices()
    runState.close(queue.version)
    writer.lock?.release()
    throw error
  }
  if (detection) queue.takePending = () => detection?.takePending() ?? []
  emit({ type: 'ready', paths: [], files: source.size(), durationMs: Math.round(performance.now() - started) })

  const instance: HotReload = {
    root: resolved.root,
    runId: runState.runId,
    on,
    once<K extends EventType>(type: K, listener: (event: EventMap[K]) => void): () => void {
      return bus.once(type, listener as (e: HotReloadEvent) => void)
    },
    events: () => bus.iterate(),
    [Symbol.asyncIterator]: () => bus.iterate(),
    reload,
    status,
    statusReport,
    history: () => queue.history(),
    metrics: () => observed.metrics(),
    close(): Promise<void> {
      closing ??= (async () => {
        closed = true
        files.stop()
        await detection?.close()
        await queue.drain()
        for (const fn of [...closeHandlers].reverse()) {
          try {
            await fn()
          } catch (error) {
            reportError(error, 'a close handler failed')
          }
        }
        await observed.close()
        runState.close(queue.version)
        writer.lock?.release()
        bus.close()
      })()
      return closing
    },
  }
  return instance
}
