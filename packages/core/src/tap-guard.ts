import { performance } from 'node:perf_hooks'
import { toProblem } from './errors.js'
import type { KernelHooks } from './hooks.js'
import type { StageName } from './record.js'
import { attribute, TransactionContext } from './transaction.js'

interface TapLike {
  name: string
  type: 'sync' | 'async' | 'promise'
  // tapable types taps as Function; they are called with the hook's arguments.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  fn: Function
}

/** What the interceptors report to the kernel. */
export interface GuardDeps {
  /** A commit, rollback or notify tap threw, or a notify tap ran past its limit. */
  reportTapError(error: unknown, plugin: string, stage: StageName): void
  readonly notifyTimeoutMs: number
}

/**
 * Wraps every tap of every hook, in one place, so no plugin has to: a tap of a stale
 * transaction (a stage timed out, prepare aborted) does not run and a late result is ignored
 * (vite checks `isStale()` after each awaited plugin call for the same reason); each tap's time
 * is recorded per plugin and stage; a throwing validate tap becomes a problem so every plugin
 * still validates; commit, rollback and notify taps never fail the transaction; a notify tap is
 * time-limited. Must be called before plugins tap, since `register` only sees later taps.
 */
export function guardHooks(hooks: KernelHooks, deps: GuardDeps): void {
  hooks.detect.intercept({ register: (tap) => guardSeries(tap, 'detect', deps) })
  hooks.validate.intercept({ register: (tap) => guardSeries(tap, 'validate', deps) })
  hooks.prepare.intercept({ register: (tap) => guardSeries(tap, 'prepare', deps) })
  hooks.apply.intercept({ register: (tap) => guardSeries(tap, 'apply', deps) })
  hooks.commit.intercept({ register: (tap) => guardSeries(tap, 'commit', deps) })
  hooks.rollback.intercept({ register: (tap) => guardRollback(tap, deps) })
  hooks.notify.intercept({ register: (tap) => guardNotify(tap, deps) })
}

// Wrapping every tap as a promise tap keeps one code path for sync, callback and promise taps.
function call(tap: TapLike, args: unknown[]): Promise<unknown> {
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

function findTx(args: unknown[]): TransactionContext | undefined {
  for (const a of args) if (a instanceof TransactionContext) return a
  return undefined
}

/** What a guarded tap ended with, before the kernel is told it settled. */
type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown }

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

/**
 * A sync tap (a detect claim, a commit swap) runs and settles in the same turn: no async
 * function, no extra promise per tap, only the one tapable awaits. A tap that returns a
 * promise is followed by one `then`. Either way the order is the same: the tap's result is
 * judged (stale, failed), then the transaction is told the tap settled, which runs the undos
 * that waited for it, and only then does the hook go on.
 */
function guardSeries<T extends TapLike>(tap: T, stage: StageName, deps: GuardDeps): T {
  const original = { ...tap }
  const name = tap.name
  // The detect hook is a waterfall: a skipped or stale tap passes the changes on unchanged.
  const passOn = (args: unknown[]) => (stage === 'detect' ? args[0] : undefined)
  const judge = (tx: TransactionContext, args: unknown[], outcome: Outcome): Outcome => {
    if (outcome.ok) return tx.stale && stage !== 'commit' ? { ok: true, value: passOn(args) } : outcome
    const { error } = outcome
    if (stage === 'validate') {
      tx.problem(toProblem(error, name, tx.pathOfFailure(name)))
      return { ok: true, value: undefined }
    }
    if (stage === 'commit') {
      deps.reportTapError(error, name, stage)
      return { ok: true, value: undefined }
    }
    if (tx.stale) return { ok: true, value: passOn(args) }
    return { ok: false, error: attribute(error, name) }
  }
  // Returns the tap's value or throws its error, after any late undo ran.
  const settle = (tx: TransactionContext, started: number, outcome: Outcome): unknown => {
    const waiting = tx.tapSettled(name, stage, performance.now() - started)
    if (waiting) return waiting.then(() => unwrap(outcome))
    return unwrap(outcome)
  }
  return {
    ...tap,
    type: 'promise',
    fn: (...args: unknown[]) => {
      const tx = findTx(args)
      if (!tx) return call(original, args)
      if (tx.stale && stage !== 'commit') return Promise.resolve(passOn(args))
      tx.tapStarted(name)
      const started = performance.now()
      let outcome: Outcome
      try {
        const result = original.type === 'async' ? call(original, args) : Reflect.apply(original.fn, undefined, args)
        if (isThenable(result)) {
          return Promise.resolve(result).then(
            (value) => settle(tx, started, judge(tx, args, { ok: true, value })),
            (error: unknown) => settle(tx, started, judge(tx, args, { ok: false, error })),
          )
        }
        outcome = judge(tx, args, { ok: true, value: result })
      } catch (error) {
        outcome = judge(tx, args, { ok: false, error })
      }
      try {
        return Promise.resolve(settle(tx, started, outcome))
      } catch (error) {
        return Promise.reject(error)
      }
    },
  }
}

function unwrap(outcome: Outcome): unknown {
  if (outcome.ok) return outcome.value
  throw outcome.error
}

function guardRollback<T extends TapLike>(tap: T, deps: GuardDeps): T {
  const original = { ...tap }
  return {
    ...tap,
    type: 'promise',
    fn: async (...args: unknown[]) => {
      try {
        await call(original, args)
      } catch (error) {
        deps.reportTapError(error, tap.name, 'apply')
      }
    },
  }
}

function guardNotify<T extends TapLike>(tap: T, deps: GuardDeps): T {
  const original = { ...tap }
  return {
    ...tap,
    type: 'promise',
    fn: (...args: unknown[]) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          deps.reportTapError(new Error(`the notify tap did not finish within ${deps.notifyTimeoutMs} ms; later transactions did not wait for it`), tap.name, 'notify')
          resolve()
        }, deps.notifyTimeoutMs)
        // A hung notify tap must never keep the process alive on its own.
        timer.unref()
        call(original, args).then(
          () => {
            clearTimeout(timer)
            resolve()
          },
          (error: unknown) => {
            clearTimeout(timer)
            deps.reportTapError(error, tap.name, 'notify')
            resolve()
          },
        )
      }),
  }
}
