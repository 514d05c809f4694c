import type { Stats } from 'node:fs'
import { readdir, realpath, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { retryOnFdLimit } from './fd-limit.js'
import type { PathMatcher } from './path-matcher.js'

export interface ListOptions {
  /** The directory to list, root-relative ('' = the root). */
  dirRel?: string
  /** A directory that cannot be read; without it, the listing rejects with that error. */
  onUnreadableDirectory?(rel: string, error: Error): void
}

/**
 * Lists the watched files below a directory of `root`: root-relative, sorted, pruned by the
 * matcher. Symlinks are followed, as chokidar does; a symlink back to a directory above stops.
 * A directory that vanishes while it is listed is simply not there.
 */
export async function listWatchedFiles(root: string, matcher: PathMatcher, options: ListOptions = {}): Promise<string[]> {
  const found: string[] = []
  // `ancestors` holds the real paths above a directory: a symlink back to one of them is a loop.
  const walk = async (dirRel: string, ancestors: ReadonlySet<string>): Promise<void> => {
    const absolute = dirRel === '' ? root : join(root, dirRel)
    let entries
    let real
    try {
      real = await realpath(absolute)
      if (ancestors.has(real)) return
      entries = await retryOnFdLimit(`listing ${absolute}`, () => readdir(absolute, { withFileTypes: true }))
    } catch (error) {
      if (isMissing(error)) return
      if (!options.onUnreadableDirectory) throw error
      options.onUnreadableDirectory(dirRel, error instanceof Error ? error : new Error(String(error)))
      return
    }
    const below = new Set(ancestors).add(real)
    await Promise.all(
      entries.map(async (entry) => {
        const rel = dirRel === '' ? entry.name : `${dirRel}/${entry.name}`
        let isDirectory = entry.isDirectory()
        let isFile = entry.isFile()
        if (entry.isSymbolicLink()) {
          const target = await statOrMissing(join(root, rel))
          if (target === undefined) return
          isDirectory = target.isDirectory()
          isFile = target.isFile()
        }
        if (isDirectory && matcher.couldContain(rel)) await walk(rel, below)
        else if (isFile && matcher.isWatched(rel)) found.push(rel)
      }),
    )
  }
  const start = options.dirRel ?? ''
  if (!matcher.couldContain(start)) return []
  // Listing below the root: the directories above `start` count as ancestors too.
  const above = new Set<string>()
  const parts = start.split('/').slice(0, -1)
  for (let i = 0; start !== '' && i <= parts.length; i++) {
    const real = await realpath(join(root, ...parts.slice(0, i))).catch((error: unknown) => {
      if (isMissing(error)) return undefined
      throw error
    })
    if (real !== undefined) above.add(real)
  }
  await walk(start, above)
  return found.sort()
}

/** `stat`, with a missing path (or a dangling or looping symlink) as undefined. */
export async function statOrMissing(absolute: string): Promise<Stats | undefined> {
  try {
    return await stat(absolute)
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
}

/** The error says nothing is there (any more): not an error for a watcher. */
export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP'
}
