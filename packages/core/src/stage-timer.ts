import { performance } from 'node:perf_hooks'
import { StageTimeoutError } from './errors.js'
import type { StageName } from './record.js'
import type { TransactionContext } from './transaction.js'

/** The stage being timed. */
interface Running {
  readonly stage: StageName
  readonly ms: number
  readonly tx: TransactionContext
  /** `performance.now()` when the stage began: its time goes to `tx.stageTimes`. */
  readonly started: number
  /** `performance.now()` past which the stage has run out of time. */
  readonly deadline: number
  readonly reject: (error: unknown) => void
  timedOut: boolean
}

/**
 * The time limit of transaction stages, on one timer for all of them. A stage only notes its
 * deadline; the timer is re-armed only when it would fire too late for that deadline (a shorter
 * `prepareTimeoutMs`), and when it fires early for the stage then running it sets itself again
 * for the rest. So a save does not create, clear or even refresh a timer per stage: each of
 * those cost the single-save path a few µs (issue 11). When a stage runs out of time, its
 * transaction is marked stale (`tx.cancel`), so no later tap runs, and the stage's promise
 * rejects with a `StageTimeoutError` naming the running plugin.
 */
export class StageTimer {
  #timer: NodeJS.Timeout | undefined
  /** `performance.now()` at which `#timer` fires. */
  #due = 0
  #running: Running | undefined
  readonly #onLate: (error: unknown, tx: TransactionContext) => void

  /**
   * `onLate` receives a rejection that arrived after its stage's time limit (a hung step that
   * failed later), which must never reach Node's unhandled-rejection handler.
   */
  constructor(onLate: (error: unknown, tx: TransactionContext) => void) {
    this.#onLate = onLate
  }

  /**
   * Runs `work` for `stage` of `tx` within `ms`, and records in `tx.stageTimes` how long the
   * stage took (until it settled, or ran out of time). One promise per stage: the lifecycle's
   * own timing wrapper was another async function and promise per stage (issue 11).
   */
  run<T>(stage: StageName, ms: number, tx: TransactionContext, work: () => Promise<T>): Promise<T> {
    const started = performance.now()
    const deadline = started + ms
    return new Promise<T>((resolve, reject) => {
      const running: Running = { stage, ms, tx, started, deadline, reject, timedOut: false }
      this.#running = running
      this.#arm(deadline, ms)
      work().then(
        (value) => {
          this.#settle(running)
          resolve(value)
        },
        (error: unknown) => {
          this.#settle(running)
          if (running.timedOut) this.#onLate(error, tx)
          else reject(error)
        },
      )
    })
  }

  /** Clears the timer; a later `run` arms it again. */
  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#running = undefined
  }

  #arm(deadline: number, ms: number): void {
    if (this.#timer === undefined || deadline < this.#due) {
      clearTimeout(this.#timer)
      this.#timer = setTimeout(this.#tick, ms)
      this.#due = deadline
      return
    }
    // Fires at or before the deadline; unref'd while no stage ran.
    this.#timer.ref()
  }

  #settle(running: Running): void {
    if (this.#running !== running) return
    this.#running = undefined
    record(running)
    // Pending but idle until the next stage: it must not keep the process alive.
    this.#timer?.unref()
  }

  readonly #tick = (): void => {
    this.#timer = undefined
    const running = this.#running
    if (!running) return
    const left = running.deadline - performance.now()
    if (left > 0) {
      // Armed for an earlier stage: the running one has time left.
      this.#timer = setTimeout(this.#tick, Math.ceil(left))
      this.#due = running.deadline
      return
    }
    this.#running = undefined
    record(running)
    running.timedOut = true
    const error = new StageTimeoutError(running.stage, running.ms, running.tx.currentPlugin)
    running.tx.cancel(error)
    running.reject(error)
  }
}

function record(running: Running): void {
  running.tx.stageTimes[running.stage] = Math.round((performance.now() - running.started) * 1000) / 1000
}
