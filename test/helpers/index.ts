// Shared helpers for every package's tests: real temp directories, polling waits, event capture.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { writeFileAtomic } from '@hotreload/core'

export interface TempProject {
  readonly root: string
  /** Absolute path of a root-relative path. */
  path(rel: string): string
  /** Writes a file (creating directories) directly, the way a careless tool would. */
  write(rel: string, content: string | Uint8Array): Promise<void>
  /**
   * Saves a file (creating directories) the way editors do: a temp file renamed over it. The
   * watcher never sees the empty file a plain write leaves between its truncate and its write,
   * which a loaded machine can read, validate and announce as a change of its own.
   */
  save(rel: string, content: string | Uint8Array): Promise<void>
  remove(rel: string): Promise<void>
  cleanup(): Promise<void>
}

/** Creates a temp directory holding `files` (root-relative path -> content). */
export async function makeTempProject(files: Record<string, string | Uint8Array> = {}, prefix = 'hotreload-test-'): Promise<TempProject> {
  const root = await mkdtemp(join(tmpdir(), prefix))
  const project: TempProject = {
    root,
    path: (rel) => join(root, rel),
    async write(rel, content) {
      await mkdir(dirname(join(root, rel)), { recursive: true })
      await writeFile(join(root, rel), content)
    },
    async save(rel, content) {
      await mkdir(dirname(join(root, rel)), { recursive: true })
      // No fsync: a test does not survive a crash anyway, and a slow fsync on a busy disk would
      // split edits a test makes together into separate batches.
      await writeFileAtomic(join(root, rel), content, { fsync: false })
    },
    remove: (rel) => rm(join(root, rel), { recursive: true, force: true }),
    cleanup: () => rm(root, { recursive: true, force: true, maxRetries: 3 }),
  }
  for (const [rel, content] of Object.entries(files)) await project.write(rel, content)
  return project
}

/**
 * Polls `check` until it returns a truthy value and resolves with it; rejects after
 * `timeoutMs` with `message`. Never a fixed sleep: the wait ends as soon as the condition holds.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 10, message = 'condition' }: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value) return value as NonNullable<T>
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : ''
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}${why}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/**
 * How many file watch handles the process holds: fs.watch (`FSEventWrap`) and fs.watchFile
 * (`StatWatcher`). Compare a count taken before an instance starts with one after it closed.
 */
export function watchHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap' || r === 'StatWatcher').length
}

/**
 * Waits until the process holds no more watch handles than `before`. libuv releases a closed
 * fs.watch handle on a later loop turn, so this polls rather than samples once.
 */
export async function waitForWatchHandles(before: number, what = 'the watcher'): Promise<void> {
  await waitFor(() => watchHandles() <= before, { timeoutMs: 5000, message: `${what} to release its watch handles (${before} before it started, ${watchHandles()} now)` })
}

interface Subscribable {
  on(type: '*', listener: (event: { type: string }) => void): () => void
}

/** Records every event of an instance; `waitFor(type, pred)` polls the record. */
export function recordEvents<E extends { type: string }>(reloader: Subscribable) {
  const events: E[] = []
  const off = reloader.on('*', (event) => events.push(event as E))
  return {
    events,
    off,
    of<T extends E['type']>(type: T): Extract<E, { type: T }>[] {
      return events.filter((e) => e.type === type) as Extract<E, { type: T }>[]
    },
    /** Waits for an event of `type` after index `since` matching `predicate`. */
    async next<T extends E['type']>(type: T, predicate: (e: Extract<E, { type: T }>) => boolean = () => true, since = 0, timeoutMs = 10_000) {
      return waitFor(() => events.slice(since).find((e) => e.type === type && predicate(e as Extract<E, { type: T }>)) as Extract<E, { type: T }> | undefined, {
        timeoutMs,
        message: `event "${type}" (seen: ${events.map((e) => e.type).join(', ') || 'none'})`,
      })
    },
  }
}
