import { HotReloadError, StageTimeoutError, toErrorInfo, toProblem } from './errors.js'
import type { KernelHooks } from './hooks.js'
import type {
  ChangeSummary,
  ErrorInfo,
  FileChange,
  PluginEvent,
  Problem,
  Transaction,
  TransactionReason,
  TransactionRecord,
  TransactionStatus,
} from './types.js'

interface Undo {
  readonly plugin: string
  readonly run: () => void | Promise<void>
}

/** The transaction object the hooks receive. Internal: plugins see the `Transaction` interface. */
export class TransactionContext implements Transaction {
  readonly staged = new Map<string, unknown>()
  readonly undos: Undo[] = []
  readonly events: PluginEvent[] = []
  readonly startedAt = new Date()
  /** The tap currently running, kept by the hook interceptors so errors name their plugin. */
  currentPlugin: string | undefined
  changes: readonly FileChange[]
  private readonly claims = new Map<string, FileChange[]>()
  private readonly problemList: Problem[] = []
  private readonly abort = new AbortController()

  constructor(
    readonly id: number,
    readonly version: number,
    readonly reason: TransactionReason,
    readonly dryRun: boolean,
    changes: readonly FileChange[],
    private readonly reader: (change: FileChange) => Promise<Buffer>,
  ) {
    this.changes = Object.freeze([...changes])
  }

  get signal(): AbortSignal {
    return this.abort.signal
  }

  cancel(reason: Error): void {
    this.abort.abort(reason)
  }

  claim(plugin: string, change: FileChange): void {
    let list = this.claims.get(plugin)
    if (!list) this.claims.set(plugin, (list = []))
    if (!list.includes(change)) list.push(change)
  }

  claimed(plugin: string): readonly FileChange[] {
    return this.claims.get(plugin) ?? []
  }

  claimants(): readonly string[] {
    return [...this.claims.keys()]
  }

  problem(problem: Problem): void {
    this.problemList.push(Object.freeze({ ...problem }))
  }

  problems(): readonly Problem[] {
    return this.problemList
  }

  read(change: FileChange): Promise<Buffer> {
    if (change.kind === 'deleted') {
      return Promise.reject(new HotReloadError('HR_READ_DELETED', `${change.path} was deleted; there is nothing to read`, { path: change.path }))
    }
    return this.reader(change)
  }

  onRollback(plugin: string, undo: () => void | Promise<void>): void {
    this.undos.push({ plugin, run: undo })
  }

  emit(event: PluginEvent): void {
    this.events.push(event)
  }
}

/**
 * Makes hook taps report which plugin is running (for timeouts and errors), turns a throwing
 * validate tap into a problem so every plugin still validates, and keeps a failing notify tap
 * from hiding the others. Must be called before plugins tap, since `register` only sees later taps.
 */
export function instrumentHooks(hooks: KernelHooks, reportTapError: (error: unknown, plugin: string) => void): void {
  hooks.detect.intercept({ register: (tap) => wrapTracking(tap) })
  hooks.apply.intercept({ register: (tap) => wrapTracking(tap) })
  hooks.validate.intercept({ register: (tap) => wrapCollecting(tap) })
  hooks.rollback.intercept({ register: (tap) => wrapCollecting(tap, reportTapError) })
  hooks.notify.intercept({ register: (tap) => wrapCollecting(tap, reportTapError) })
}

function findTx(args: unknown[]): TransactionContext | undefined {
  return args.find((a): a is TransactionContext => a instanceof TransactionContext)
}

interface TapLike {
  name: string
  type: 'sync' | 'async' | 'promise'
  // tapable types taps as Function; they are called with the hook's arguments.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  fn: Function
}

// Wrapping every tap as a promise tap keeps one code path for sync, callback and promise taps.
function asPromise(tap: TapLike, args: unknown[]): Promise<unknown> {
  if (tap.type === 'async') {
    return new Promise((resolve, reject) => {
      Reflect.apply(tap.fn, undefined, [...args, (error: unknown, result: unknown) => (error ? reject(error) : resolve(result))])
    })
  }
  try {
    return Promise.resolve(Reflect.apply(tap.fn, undefined, args))
  } catch (error) {
    return Promise.reject(error)
  }
}

function wrapTracking<T extends TapLike>(tap: T): T {
  const original = { ...tap }
  return {
    ...tap,
    type: 'promise',
    fn: (...args: unknown[]) => {
      const tx = findTx(args)
      if (tx) tx.currentPlugin = tap.name
      return asPromise(original, args).catch((error: unknown) => {
        throw attribute(error, tap.name)
      })
    },
  }
}

function wrapCollecting<T extends TapLike>(tap: T, onError?: (error: unknown, plugin: string) => void): T {
  const original = { ...tap }
  return {
    ...tap,
    type: 'promise',
    fn: async (...args: unknown[]) => {
      const tx = findTx(args)
      if (tx) tx.currentPlugin = tap.name
      try {
        await asPromise(original, args)
      } catch (error) {
        if (onError) onError(error, tap.name)
        else tx?.problem(toProblem(error, tap.name))
      }
    },
  }
}

/** Remembers which plugin threw, for the rolled-back event, without changing the error's class. */
const pluginOf = new WeakMap<object, string>()
function attribute(error: unknown, plugin: string): unknown {
  if (typeof error === 'object' && error !== null && !pluginOf.has(error)) pluginOf.set(error, plugin)
  return error
}

/** Runs `work` with a time limit; the error names the plugin that was running when time ran out. */
export async function withStageTimeout<T>(stage: string, ms: number, tx: TransactionContext, work: () => Promise<T>, onLate: (error: unknown) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const running = work()
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new StageTimeoutError(stage, ms, tx.currentPlugin)
      tx.cancel(error)
      reject(error)
    }, ms)
  })
  try {
    return await Promise.race([running, timeout])
  } finally {
    clearTimeout(timer)
    // A hung step that fails after its stage was abandoned still needs a handler, or Node would
    // treat it as an unhandled rejection and exit; report it instead.
    if (tx.signal.aborted) running.catch(onLate)
  }
}

/** Plain data of a failed apply, naming the plugin that threw. */
export function describeFailure(error: unknown, tx: TransactionContext): ErrorInfo {
  const plugin = (typeof error === 'object' && error !== null ? pluginOf.get(error) : undefined) ?? tx.currentPlugin
  return toErrorInfo(error, plugin === undefined ? {} : { plugin })
}

export function summarize(changes: readonly FileChange[]): ChangeSummary[] {
  return changes.map((c) => (c.from === undefined ? { kind: c.kind, path: c.path } : { kind: c.kind, path: c.path, from: c.from }))
}

export function makeRecord(
  tx: TransactionContext,
  status: TransactionStatus,
  version: number,
  durationMs: number,
  error?: ErrorInfo,
): TransactionRecord {
  return Object.freeze({
    id: tx.id,
    version,
    reason: tx.reason,
    status,
    startedAt: tx.startedAt.toISOString(),
    durationMs: Math.round(durationMs * 100) / 100,
    changes: Object.freeze(summarize(tx.changes)),
    plugins: Object.freeze([...tx.claimants()]),
    problems: Object.freeze([...tx.problems()]),
    ...(error ? { error } : {}),
  })
}
