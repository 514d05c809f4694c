import { randomBytes } from 'node:crypto'
import { lstat, readdir, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { isProcessAlive } from './lock.js'

// `.<name>.hrtmp-<pid>-<12 hex>.tmp`: dot-prefixed and ending in .tmp, so the default ignore
// globs hide it from watchers; the `hrtmp-<pid>-` part marks it as ours and says who wrote it.
const TEMP_NAME = /^\..+\.hrtmp-(\d+)-[0-9a-f]{12}\.tmp$/

/**
 * The temp path every file the framework writes goes through before its rename: in the same
 * directory as `path` (so the rename is atomic), named `.<name>.hrtmp-<pid>-<random>.tmp`. Only
 * names of this shape are swept at start (see `sweepTemps`), so a user's own `.foo.tmp` is never
 * touched. Plugins that write temp files themselves take their names from here.
 */
export function tempPathFor(path: string): string {
  const suffix = `.hrtmp-${process.pid}-${randomBytes(6).toString('hex')}.tmp`
  // Most file systems allow 255 bytes per name: a long name is shortened in the temp name only,
  // so a file whose own name fits never fails on its temp.
  let base = basename(path)
  while (base.length > 0 && Buffer.byteLength(`.${base}${suffix}`) > 255) base = base.slice(0, -1)
  return join(dirname(path), `.${base}${suffix}`)
}

/** Whether a file name is one `tempPathFor` made; resolves the writer's pid. */
export function tempWriterOf(name: string): number | undefined {
  const match = TEMP_NAME.exec(name)
  return match ? Number(match[1]) : undefined
}

export interface SweepOptions {
  /** Also look in subdirectories (not following symlinks). Default false. */
  readonly recursive?: boolean
}

/**
 * Removes the temp files an interrupted run left in `dir`: only names `tempPathFor` made, older
 * than this process, and written by a process that is no longer running (or by an earlier
 * process that had this pid). Resolves with the paths removed; a missing directory is none.
 * Call it while holding the root's writer lock, so no other writer's temps are in flight.
 */
export async function sweepTemps(dir: string, options: SweepOptions = {}): Promise<string[]> {
  const started = performance.timeOrigin
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: options.recursive === true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw error
  }
  const removed: string[] = []
  for (const entry of entries) {
    if (!entry.isFile()) continue
    const pid = tempWriterOf(entry.name)
    if (pid === undefined) continue
    if (pid !== process.pid && isProcessAlive(pid)) continue
    // `parentPath` is where a recursive listing found the entry (`path` on older Node 20 lines).
    const parent = (entry as { parentPath?: string; path?: string }).parentPath ?? (entry as { path?: string }).path ?? dir
    const file = join(parent, entry.name)
    try {
      if ((await lstat(file)).mtimeMs >= started) continue
      await unlink(file)
      removed.push(file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  return removed
}
