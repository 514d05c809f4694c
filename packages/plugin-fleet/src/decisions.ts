import type { FleetStore } from './store.js'
import type { Decision } from './types.js'

type Final = Exclude<Decision, { state: 'open' } | { state: 'unknown' }>

/**
 * Waits for proposals to be decided. A decision arrives from the event stream (`seen`), or from
 * this process settling the proposal itself every `pollMs`: anyone may settle, so a proposer that
 * died, or a stream that lags, never leaves a waiter hanging past the deadline Redis enforces.
 */
export class Decisions {
  readonly #store: FleetStore
  readonly #pollMs: number
  readonly #final = new Map<string, Final>()
  readonly #waiters = new Map<string, Set<(d: Final) => void>>()

  constructor(store: FleetStore, pollMs: number) {
    this.#store = store
    this.#pollMs = pollMs
  }

  /** Records a decision learnt elsewhere (stream, a vote's reply) and wakes its waiters. */
  seen(decision: Decision): void {
    if (decision.state !== 'committed' && decision.state !== 'aborted') return
    if (!this.#final.has(decision.id)) this.#final.set(decision.id, decision)
    // Keep the map small: a decision is only waited for while its proposal is recent.
    if (this.#final.size > 256) this.#final.delete(this.#final.keys().next().value as string)
    for (const wake of this.#waiters.get(decision.id) ?? []) wake(decision)
    this.#waiters.delete(decision.id)
  }

  /** The decision if known. */
  get(id: string): Final | undefined {
    return this.#final.get(id)
  }

  /** Resolves with the decision of proposal `id`; rejects when `signal` aborts. */
  async wait(id: string, signal?: AbortSignal): Promise<Final> {
    for (;;) {
      const known = this.#final.get(id)
      if (known) return known
      signal?.throwIfAborted()
      const settled = await this.#store.settle(id)
      if (settled.state === 'committed' || settled.state === 'aborted') {
        this.seen(settled)
        return settled
      }
      if (settled.state === 'unknown') throw new Error(`proposal ${id} is not in Redis (was its data lost?)`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.#pollMs)
        const set = this.#waiters.get(id) ?? new Set()
        this.#waiters.set(id, set)
        function done() {
          clearTimeout(timer)
          set.delete(done)
          signal?.removeEventListener('abort', done)
          resolve()
        }
        set.add(done)
        signal?.addEventListener('abort', done, { once: true })
      })
    }
  }
}
