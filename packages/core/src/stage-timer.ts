import { StageTimeoutError } from './errors.js'
import type { TransactionContext } from './transaction.js'

/**
 * The time limit of transaction stages: one timer, re-armed (`refresh()`) for each stage
 * instead of a timer made and cleared per stage, which the single-save path paid for on every
 * edit. When it fires, the stage's transaction is marked stale (`tx.cancel`), so no later tap
 * runs, and the stage's promise rejects with a `StageTimeoutError` naming the running plugin.
 */
export class StageTimer {
  #timer: NodeJS.Timeout | undefined
  #ms = 0
  #fire: (() => void) | undefined

  /**
   * Runs `work` for `stage` within `ms`. A rejection that arrives after the time limit went to
   * `onLate` (a hung step that failed later), never to Node's unhandled-rejection handler.
   */
  run<T>(stage: string, ms: number, tx: TransactionContext, work: () => Promise<T>, onLate: (error: unknown) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timedOut = false
      const fire = (): void => {
        timedOut = true
        const error = new StageTimeoutError(stage, ms, tx.currentPlugin)
        tx.cancel(error)
        reject(error)
      }
      this.#fire = fire
      this.#arm(ms)
      const settle = (): void => {
        if (this.#fire !== fire) return
        this.#fire = undefined
        // Armed but idle until the next stage: it must not keep the process alive.
        this.#timer?.unref()
      }
      work().then(
        (value) => {
          settle()
          resolve(value)
        },
        (error: unknown) => {
          settle()
          if (timedOut) onLate(error)
          else reject(error)
        },
      )
    })
  }

  /** Clears the timer; a later `run` arms it again. */
  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#fire = undefined
  }

  #arm(ms: number): void {
    if (this.#timer !== undefined && this.#ms === ms) {
      this.#timer.refresh().ref()
      return
    }
    clearTimeout(this.#timer)
    this.#ms = ms
    this.#timer = setTimeout(() => this.#fire?.(), ms)
  }
}
