import { performance } from 'node:perf_hooks'

/**
 * A running contender: something that watches `config/<name>.json` files and hands their
 * parsed `value` to a subscriber. Every contender runs in its own temp directory.
 */
export interface Watching {
  /**
   * Resolves with the `performance.now()` at which the subscriber first held every expected
   * value, or null if it did not within `timeoutMs`. Call it before writing, so a watcher that
   * delivers before the writer's own promise continuation runs is still timed exactly.
   */
  waitFor(expected: ReadonlyMap<string, number>, timeoutMs: number): Promise<number | null>
  /** Reloads the contender ran since it started (reads + parses, transactions, or restarts). */
  reloads(): number
  /** What the subscriber holds now, by config name. */
  snapshot(): Promise<Map<string, number>>
  close(): Promise<void>
}

export interface Contender {
  readonly name: string
  /** Extension of the config files this contender reads; `.json` unless it cannot reload those. */
  readonly extension?: string
  /** Starts watching `root/config/<name><extension>` for every name; resolves once the initial values are held. */
  start(root: string, names: readonly string[]): Promise<Watching>
}

interface Waiter {
  readonly expected: ReadonlyMap<string, number>
  readonly resolve: (time: number | null) => void
  readonly timer: NodeJS.Timeout
}

/**
 * The subscriber side of an in-process contender: records each value the moment it is
 * delivered, so latency ends when the subscriber holds the value, not when the bench notices.
 */
export class StateTracker {
  readonly #values = new Map<string, number>()
  #reloads = 0
  #waiter: Waiter | undefined

  /** The subscriber received `value` for `name`. */
  set(name: string, value: number): void {
    this.#values.set(name, value)
    const waiter = this.#waiter
    if (waiter && this.#holds(waiter.expected)) {
      this.#waiter = undefined
      clearTimeout(waiter.timer)
      waiter.resolve(performance.now())
    }
  }

  /** One reload ran (counted whether or not it changed a value). */
  reloaded(): void {
    this.#reloads++
  }

  reloads(): number {
    return this.#reloads
  }

  snapshot(): Map<string, number> {
    return new Map(this.#values)
  }

  waitFor(expected: ReadonlyMap<string, number>, timeoutMs: number): Promise<number | null> {
    if (this.#waiter) throw new Error('StateTracker.waitFor: one wait at a time')
    if (this.#holds(expected)) return Promise.resolve(performance.now())
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined
        resolve(null)
      }, timeoutMs)
      this.#waiter = { expected, resolve, timer }
    })
  }

  #holds(expected: ReadonlyMap<string, number>): boolean {
    for (const [name, value] of expected) if (this.#values.get(name) !== value) return false
    return true
  }
}
