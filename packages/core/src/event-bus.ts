import type { HotReloadEvent } from './events.js'

type Listener = (event: HotReloadEvent) => void

/**
 * Delivers events to listeners by type and to async iterators. A throwing listener is handed to
 * `onListenerError` (which reports it as an `error` event) and never stops delivery to others.
 */
export class EventBus {
  private readonly listeners = new Map<string, Set<Listener>>()
  private readonly iterators = new Set<EventQueue>()
  private closed = false

  constructor(private readonly onListenerError: (error: unknown, event: HotReloadEvent) => void) {}

  on(type: string, listener: Listener): () => void {
    let set = this.listeners.get(type)
    if (!set) this.listeners.set(type, (set = new Set()))
    // Wrapping gives each subscription its own identity, so subscribing the same function
    // twice needs two unsubscribes, as with EventEmitter.
    const entry: Listener = (e) => listener(e)
    set.add(entry)
    return () => {
      set.delete(entry)
    }
  }

  once(type: string, listener: Listener): () => void {
    const off = this.on(type, (event) => {
      off()
      listener(event)
    })
    return off
  }

  emit(event: HotReloadEvent): void {
    if (this.closed) return
    this.deliver(this.listeners.get(event.type), event)
    this.deliver(this.listeners.get('*'), event)
    for (const queue of this.iterators) queue.push(event)
  }

  /**
   * Calls the listeners subscribed when the delivery began (one added meanwhile hears the next
   * event): a copy of the set, except for the common single listener, which needs none.
   */
  private deliver(set: Set<Listener> | undefined, event: HotReloadEvent): void {
    if (set === undefined || set.size === 0) return
    if (set.size === 1) {
      this.call(set.values().next().value as Listener, event)
      return
    }
    for (const listener of [...set]) this.call(listener, event)
  }

  private call(listener: Listener, event: HotReloadEvent): void {
    try {
      listener(event)
    } catch (error) {
      // An error listener that throws must not recurse into itself.
      if (event.type !== 'error') this.onListenerError(error, event)
    }
  }

  /** An async iterator over events from now on; ends on `close()` or when the loop exits. */
  iterate(): AsyncIterableIterator<HotReloadEvent> {
    const queue = new EventQueue(() => this.iterators.delete(queue))
    if (this.closed) queue.end()
    else this.iterators.add(queue)
    return queue
  }

  close(): void {
    this.closed = true
    for (const queue of this.iterators) queue.end()
    this.iterators.clear()
    this.listeners.clear()
  }
}

class EventQueue implements AsyncIterableIterator<HotReloadEvent> {
  private readonly buffer: HotReloadEvent[] = []
  private waiting: ((result: IteratorResult<HotReloadEvent>) => void) | undefined
  private done = false

  constructor(private readonly detach: () => void) {}

  push(event: HotReloadEvent): void {
    if (this.done) return
    if (this.waiting) {
      const resolve = this.waiting
      this.waiting = undefined
      resolve({ value: event, done: false })
    } else {
      this.buffer.push(event)
    }
  }

  end(): void {
    this.done = true
    this.detach()
    if (this.waiting) {
      const resolve = this.waiting
      this.waiting = undefined
      resolve({ value: undefined, done: true })
    }
  }

  next(): Promise<IteratorResult<HotReloadEvent>> {
    const event = this.buffer.shift()
    if (event) return Promise.resolve({ value: event, done: false })
    if (this.done) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve) => (this.waiting = resolve))
  }

  return(): Promise<IteratorResult<HotReloadEvent>> {
    this.end()
    this.buffer.length = 0
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<HotReloadEvent> {
    return this
  }
}
