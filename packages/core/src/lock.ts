import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { HotReloadError } from './errors.js'

/** The lock file's name inside the state directory. */
export const LOCK_FILE = 'writer.lock'

/** Another live process (or another instance of this one) writes to the root. */
export class LockedError extends HotReloadError {
  /** The pid that holds the lock. */
  readonly pid: number
  constructor(message: string, pid: number, options: { path: string; hint: string }) {
    super('HR_LOCKED', message, options)
    this.pid = pid
  }
}

/** What a lock file holds: enough to tell a live holder from a dead one whose pid was reused. */
interface Holder {
  readonly pid: number
  readonly host: string
  readonly runId: string
  readonly startedAt: string
  /** The holder's start time in clock ticks since boot (Linux `/proc/<pid>/stat`), to catch a reused pid. */
  readonly ticks?: number
}

/** A held writer lock. `release()` is idempotent and synchronous (it also runs at process exit). */
export interface WriterLock {
  readonly path: string
  release(): void
}

export interface LockOutcome {
  /** Absent when the state directory cannot be written at all (nothing could be applied either). */
  readonly lock?: WriterLock
  /** Set when a dead process's lock was taken over, or no lock could be taken: say it. */
  readonly warning?: string
}

// Locks this process holds, removed at exit so a clean exit never leaves one behind.
const held = new Map<string, string>()
let exitHookInstalled = false

/**
 * Takes the writer lock of a root: `<stateDir>/writer.lock`, created with O_EXCL and holding
 * this process's pid. A lock whose process is gone (killed, crashed, or its pid now belongs to
 * another program) is taken over, with a warning. Throws `LockedError` naming the holder's pid
 * when a live process holds it. A state directory that cannot be written (read-only mount,
 * permissions) yields no lock and a warning: every apply then fails on the same directory.
 */
export function acquireWriterLock(stateDir: string, root: string, runId: string): LockOutcome {
  const path = join(stateDir, LOCK_FILE)
  const me: Holder = { pid: process.pid, host: hostname(), runId, startedAt: new Date().toISOString(), ...ticksOf(process.pid) }
  const text = `${JSON.stringify(me)}\n`
  let warning: string | undefined
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      create(path, text)
      return { lock: track(path, runId), ...(warning ? { warning } : {}) }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') {
        try {
          mkdirSync(stateDir, { recursive: true, mode: 0o700 })
        } catch (mkdirError) {
          return { warning: unlockable(path, mkdirError) }
        }
        continue
      }
      if (code !== 'EEXIST') return { warning: unlockable(path, error) }
    }
    const found = readHolder(path)
    if (found === 'gone') continue
    if (found === 'unreadable') {
      // Created an instant ago and not written yet, or damaged: give a writer a moment first.
      if (ageMs(path) < 2000) {
        sleep(50)
        continue
      }
    } else if (isHolderAlive(found)) {
      throw lockedError(path, root, found)
    }
    if (takeOver(path, found)) {
      warning =
        found === 'unreadable'
          ? `took over the damaged writer lock ${path}`
          : `took over the writer lock ${path} of pid ${found.pid} (started ${found.startedAt}), which is no longer running`
    } else {
      sleep(20)
    }
  }
  throw new HotReloadError('HR_LOCK', `could not take the writer lock ${path}: it kept changing`, {
    path,
    hint: 'Other processes keep starting on this root: start one hotreload writer at a time.',
  })
}

function create(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600)
  try {
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
}

function track(path: string, runId: string): WriterLock {
  held.set(path, runId)
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.on('exit', () => {
      for (const [p, id] of held) removeIfOurs(p, id)
    })
  }
  let released = false
  return {
    path,
    release() {
      if (released) return
      released = true
      held.delete(path)
      removeIfOurs(path, runId)
    },
  }
}

/** Removes the lock only if it is still ours: one taken over after a hang is not. */
function removeIfOurs(path: string, runId: string): void {
  const found = readHolder(path)
  if (typeof found === 'object' && found.runId === runId && found.pid === process.pid) {
    try {
      unlinkSync(path)
    } catch {
      // Already gone: the goal is reached.
    }
  }
}

/**
 * Removes a stale lock, guarded by a second O_EXCL file so that two processes taking over the
 * same stale lock cannot remove each other's new one. Returns whether this call removed it.
 */
function takeOver(path: string, stale: Holder | 'unreadable'): boolean {
  const guard = `${path}.takeover`
  try {
    create(guard, `${process.pid}\n`)
  } catch {
    // Another process is taking over right now; a guard left by a crash is cleared after 10 s.
    if (ageMs(guard) > 10_000) unlinkQuietly(guard)
    return false
  }
  try {
    const now = readHolder(path)
    const same = now === 'unreadable' ? stale === 'unreadable' : now !== 'gone' && stale !== 'unreadable' && now.runId === stale.runId && now.pid === stale.pid
    if (!same) return false
    unlinkQuietly(path)
    return true
  } finally {
    unlinkQuietly(guard)
  }
}

function readHolder(path: string): Holder | 'gone' | 'unreadable' {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'unreadable'
  }
  try {
    const value = JSON.parse(text) as Partial<Holder>
    if (Number.isSafeInteger(value.pid) && typeof value.runId === 'string' && typeof value.host === 'string') return value as Holder
  } catch {
    // Reported as unreadable below.
  }
  return 'unreadable'
}

/** A holder on another host cannot be checked from here, so it counts as alive. */
function isHolderAlive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true
  if (!isProcessAlive(holder.pid)) return false
  // The pid may have been reused since the holder died: compare start times where the OS has them.
  const now = ticksOf(holder.pid).ticks
  return holder.ticks === undefined || now === undefined || now === holder.ticks
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Linux: field 22 of /proc/<pid>/stat, the start time in clock ticks after boot. */
function ticksOf(pid: number): { ticks?: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may contain spaces: count after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[19])
    return Number.isSafeInteger(ticks) ? { ticks } : {}
  } catch {
    return {}
  }
}

function lockedError(path: string, root: string, holder: Holder): LockedError {
  const self = holder.pid === process.pid && holder.host === hostname()
  const who = self ? `this process (pid ${holder.pid}) already runs a writing hotreload instance` : `hotreload process ${holder.pid}${holder.host === hostname() ? '' : ` on host ${holder.host}`} (started ${holder.startedAt}) is already writing`
  // The lock file is the error's path, printed before the message.
  return new LockedError(`${who} at ${root}`, holder.pid, {
    path,
    hint: self
      ? 'close() the other instance first, or create this one with dryRun: true to only read.'
      : `Stop that process first (\`kill ${holder.pid}\`), or use a read-only command next to it (\`hotreload check\`, \`--dry-run\`, \`hotreload backup list\`). If no such process runs, delete ${path}.`,
  })
}

function unlockable(path: string, error: unknown): string {
  return `cannot take the writer lock ${path} (${(error as Error).message}): running without it, so a second writer on this root would not be stopped`
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs
  } catch {
    return 0
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // Gone already.
  }
}

// A blocking wait of a few ms, only while another process writes or takes over the lock file.
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}
