import { diffTouches } from './diff.js'
import { ConfigClosedError, ConfigNotLoadedError } from './errors.js'
import { compileKeyPatterns } from './key-path.js'
import type { ConfigChangedEvent } from './events.js'
import type { ConfigStream } from './types.js'

type Listener = (value: unknown, event: ConfigChangedEvent) => void

/**
 * The committed values the app reads, and the listeners of their streams. Values change only
 * in `commit`, which the plugin calls once a transaction has committed, so nothing here ever
 * holds a value that could still be rolled back.
 */
export class ConfigStore {
  private readonly values = new Map<string, unknown>()
  private readonly listeners = new Map<string, Set<Listener>>()
  private readonly closers = new Set<() => void>()
  private closed = false

  /** `onListenerError` receives whatever a subscriber throws; delivery to the others goes on. */
  constructor(private readonly onListenerError: (error: unknown, name: string) => void) {}

  get(name: string): unknown {
    if (!this.values.has(name)) throw new ConfigNotLoadedError(name, this.names())
    return this.values.get(name)
  }

  peek(name: string): unknown {
    return this.values.get(name)
  }

  has(name: string): boolean {
    return this.values.has(name)
  }

  names(): string[] {
    return [...this.values.keys()].sort()
  }

  isClosed(): boolean {
    return this.closed
  }

  /** Makes committed changes visible to readers; the plugin calls it from the commit tap. */
  commit(events: readonly ConfigChangedEvent[]): void {
    if (this.closed) return
    for (const event of events) {
      if (event.newValue === undefined) this.values.delete(event.name)
      else this.values.set(event.name, event.newValue)
    }
  }

  /** Tells the listeners of each config about committed changes, in order. */
  deliver(events: readonly ConfigChangedEvent[]): void {
    if (this.closed) return
    for (const event of events) {
      for (const listener of [...(this.listeners.get(event.name) ?? [])]) {
        try {
          listener(event.newValue, event)
        } catch (error) {
          this.onListenerError(error, event.name)
        }
      }
    }
  }

  /** Adds a listener for one config; returns its removal. */
  listen(name: string, listener: Listener): () => void {
    let set = this.listeners.get(name)
    if (!set) this.listeners.set(name, (set = new Set()))
    // A wrapper per subscription, so the same function subscribed twice needs two unsubscribes.
    const entry: Listener = (value, event) => listener(value, event)
    set.add(entry)
    return () => {
      set.delete(entry)
    }
  }

  /** Registers what to end when the store closes (pending `next()`s, open loops); returns its removal. */
  onClose(fn: () => void): () => void {
    if (this.closed) {
      fn()
      return () => undefined
    }
    this.closers.add(fn)
    return () => {
      this.closers.delete(fn)
    }
  }

  /** Ends every stream loop and rejects pending `next()` calls. Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const fn of [...this.closers]) fn()
    this.closers.clear()
    this.listeners.clear()
  }

  /** A stream of one config's committed values. */
  stream<T>(name: string): ConfigStream<T> {
    return new ValueStream<T>(this, name, () => true)
  }
}

class ValueStream<T> implements ConfigStream<T> {
  constructor(
    private readonly store: ConfigStore,
    readonly name: string,
    private readonly accepts: (event: ConfigChangedEvent) => boolean,
  ) {}

  get current(): T | undefined {
    return this.store.peek(this.name) as T | undefined
  }

  next(): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      if (this.store.isClosed()) return reject(new ConfigClosedError(this.name))
      const off = this.subscribe((value) => {
        done()
        resolve(value)
      })
      const offClose = this.store.onClose(() => {
        done()
        reject(new ConfigClosedError(this.name))
      })
      const done = (): void => {
        off()
        offClose()
      }
    })
  }

  subscribe(listener: (value: T | undefined, event: ConfigChangedEvent) => void): () => void {
    return this.store.listen(this.name, (value, event) => {
      if (this.accepts(event)) listener(value as T | undefined, event)
    })
  }

  select(patterns: string | readonly string[]): ConfigStream<T> {
    const test = compileKeyPatterns(patterns)
    const outer = this.accepts
    return new ValueStream<T>(this.store, this.name, (event) => outer(event) && diffTouches(event.diff, test))
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    // Latest-value buffer: a slow loop body sees the newest committed value, never a backlog.
    const now = this.current
    let latest: { value: T } | undefined = now === undefined ? undefined : { value: now }
    let waiting: ((result: IteratorResult<T>) => void) | undefined
    let finished = this.store.isClosed()
    if (finished) return { next: () => Promise.resolve({ done: true, value: undefined }) }
    const finish = (): IteratorResult<T> => {
      finished = true
      off()
      offClose()
      waiting?.({ done: true, value: undefined })
      waiting = undefined
      return { done: true, value: undefined }
    }
    const off = this.subscribe((value) => {
      if (value === undefined) return
      if (waiting) {
        const resolve = waiting
        waiting = undefined
        resolve({ done: false, value })
      } else {
        latest = { value }
      }
    })
    const offClose = this.store.onClose(() => {
      finish()
    })
    return {
      next: () => {
        if (finished) return Promise.resolve({ done: true, value: undefined })
        if (latest) {
          const { value } = latest
          latest = undefined
          return Promise.resolve({ done: false, value })
        }
        return new Promise((resolve) => {
          waiting = resolve
        })
      },
      return: () => Promise.resolve(finish()),
    }
  }
}
