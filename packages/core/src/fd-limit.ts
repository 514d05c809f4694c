import { setTimeout as delay } from 'node:timers/promises'
import { HotReloadError } from './errors.js'

/**
 * Running out of file descriptors (EMFILE: this process's `ulimit -n`; ENFILE: the system's)
 * says nothing about the file being opened: it is the whole process, and it passes as soon as
 * other reads close theirs. So a scan or read that hits it waits and tries again, the way
 * graceful-fs queues opens (https://github.com/isaacs/node-graceful-fs#improvements-over-fs-module),
 * and reports it once, with a hint, instead of calling the file unreadable.
 */

/** How long one operation keeps retrying before it fails with `FdLimitError`. */
const GIVE_UP_MS = 30_000
const FIRST_WAIT_MS = 5
const MAX_WAIT_MS = 500

export const FD_LIMIT_HINT =
  'Raise the limit of open files in the shell that starts hotreload (`ulimit -n 65536`, or LimitNOFILE= in a systemd unit), or close what else holds descriptors in this process; hotreload retries and recovers when descriptors free up.'

/** Descriptors stayed exhausted for longer than hotreload waits. */
export class FdLimitError extends HotReloadError {
  constructor(what: string, code: string, cause: unknown) {
    super('HR_TOO_MANY_OPEN_FILES', `too many open files (${code}) while ${what}`, { hint: FD_LIMIT_HINT, cause })
  }
}

/** Whether `error` is EMFILE or ENFILE. */
export function isFdLimit(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code
  return code === 'EMFILE' || code === 'ENFILE'
}

type Listener = (error: FdLimitError) => void
const listeners = new Set<Listener>()
// Reads contending for a few free descriptors fail and succeed in turn: one notice per 10 s.
const NOTICE_EVERY_MS = 10_000
let lastNotice = -Infinity

/**
 * Hears about each shortage of descriptors (at most once per 10 s, not once per file),
 * with an error that says what hit it and how to raise the limit. Returns the unsubscribe.
 */
export function onFdLimit(listener: Listener): () => void {
  listeners.add(listener)
  return () => void listeners.delete(listener)
}

/**
 * Runs `op`; while it fails with EMFILE/ENFILE, waits (5 ms doubling to 500 ms) and runs it
 * again, for up to 30 s, then rejects with `FdLimitError`. Any other error is passed through.
 * `what` says what was being done, e.g. "reading config/app.json".
 */
export async function retryOnFdLimit<T>(what: string, op: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + GIVE_UP_MS
  let wait = FIRST_WAIT_MS
  for (;;) {
    try {
      return await op()
    } catch (error) {
      if (!isFdLimit(error)) throw error
      const code = (error as NodeJS.ErrnoException).code as string
      if (Date.now() - lastNotice >= NOTICE_EVERY_MS) {
        lastNotice = Date.now()
        const notice = new FdLimitError(`${what}: waiting for descriptors to free up`, code, error)
        for (const listener of [...listeners]) listener(notice)
      }
      if (Date.now() > deadline) throw new FdLimitError(`${what} (gave up after ${GIVE_UP_MS / 1000} s)`, code, error)
      await delay(wait)
      wait = Math.min(wait * 2, MAX_WAIT_MS)
    }
  }
}
