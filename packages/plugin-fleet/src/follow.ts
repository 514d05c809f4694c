import type { Redis } from 'ioredis'
import { parseStreamEntry } from './replies.js'
import type { FleetStore } from './store.js'
import type { Snapshot, StreamEvent } from './types.js'

export interface FollowHandlers {
  /** Every event in order, with no gap since the last snapshot. */
  onEvent(event: StreamEvent): void | Promise<void>
  /**
   * The state as read now: at start, after entries were trimmed before this reader got them
   * (like a compacted etcd revision), and when the epoch changed (Redis lost its data).
   */
  onSnapshot(snapshot: Snapshot, why: 'start' | 'gap' | 'epoch'): void | Promise<void>
  /** A read failed; the follower retries after a pause. */
  onError(error: Error): void
}

export interface Follower {
  /** Resolves once the first snapshot was handled. */
  readonly started: Promise<void>
  /** Re-reads the state now (e.g. the heartbeat saw another epoch). */
  resync(why: 'gap' | 'epoch'): void
  close(): Promise<void>
}

const BLOCK_MS = 2_000
const RETRY_MS = 200

/**
 * Follows the fleet's event stream on its own blocking connection. Each event carries a
 * sequence number; one that is not the next expected means entries were trimmed away (or the
 * stream was lost), so the follower reads a snapshot instead of trusting what follows. Stream
 * ids are time-based and a clock that jumps back could hide entries; the sequence catches that.
 */
export function follow(store: FleetStore, handlers: FollowHandlers): Follower {
  const reader: Redis = store.reader()
  let closed = false
  let lastId = '0-0'
  let lastN = 0
  let epoch = ''
  let wanted: 'gap' | 'epoch' | undefined
  let markStarted: () => void = () => {}
  let failStarted: (error: Error) => void = () => {}
  const started = new Promise<void>((resolve, reject) => {
    markStarted = resolve
    failStarted = reject
  })

  const takeSnapshot = async (why: 'start' | 'gap' | 'epoch') => {
    const snap = await store.snapshot()
    lastId = snap.lastId
    lastN = snap.evseq
    epoch = snap.epoch
    await handlers.onSnapshot(snap, why)
  }

  const loop = async () => {
    try {
      await takeSnapshot('start')
      markStarted()
    } catch (error) {
      failStarted(error instanceof Error ? error : new Error(String(error)))
      return
    }
    while (!closed) {
      try {
        if (wanted) {
          const why = wanted
          wanted = undefined
          await takeSnapshot(why)
          continue
        }
        const reply = (await store.guard(reader.call('XREAD', 'COUNT', '200', 'BLOCK', String(BLOCK_MS), 'STREAMS', store.keys.events, lastId))) as
          | [string, [string, string[]][]][]
          | null
        if (closed) break
        for (const [id, fields] of reply?.[0]?.[1] ?? []) {
          const event = parseStreamEntry(id, fields)
          if (!event) continue
          // A fleet that did not exist at the snapshot starts its first epoch with event 1.
          if (epoch === '' && lastN === 0 && event.n === 1) epoch = event.epoch
          if (event.epoch !== epoch) {
            wanted = 'epoch'
            break
          }
          if (event.n !== lastN + 1) {
            wanted = 'gap'
            break
          }
          lastId = id
          lastN = event.n
          await handlers.onEvent(event)
        }
      } catch (error) {
        if (closed) break
        handlers.onError(error instanceof Error ? error : new Error(String(error)))
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
        // After an outage the stream may have been lost or trimmed: start from a snapshot.
        wanted ??= 'gap'
      }
    }
  }
  const running = loop()

  return {
    started,
    resync(why) {
      wanted = why
    },
    async close() {
      if (closed) return
      closed = true
      // The blocked XREAD only ends when its connection does.
      reader.disconnect()
      await running
    },
  }
}
