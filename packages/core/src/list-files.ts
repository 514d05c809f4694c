import { isUtf8 } from 'node:buffer'
import { readdirSync, type Dirent, type Stats } from 'node:fs'
import { readdir, realpath, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { FileNameError } from './errors.js'
import { isFdLimit, retryOnFdLimit } from './fd-limit.js'
import type { PathMatcher } from './path-matcher.js'

export interface ListOptions {
  /** The directory to list, root-relative ('' = the root). */
  dirRel?: string
  /** A directory that cannot be read; without it, the listing rejects with that error. */
  onUnreadableDirectory?(rel: string, error: Error): void
  /**
   * A name in the directory `dirRel` that is not valid UTF-8 (`raw`, its bytes), where a watched
   * file or directory could be: it is left out of the listing. Without it, left out silently.
   */
  onInvalidName?(dirRel: string, raw: Buffer): void
}

// A listing reads its directories synchronously (the readdir system call takes microseconds, a
// thread-pool round trip per directory and a realpath per directory were half of a
// 10,000-file listing, issue 11) and hands the event loop back after this many entries.
const YIELD_EVERY_ENTRIES = 2048

/**
 * Lists the watched files below a directory of `root`: root-relative, sorted, pruned by the
 * matcher. Symlinks are followed, as chokidar does; a symlink back to a directory above stops.
 * A directory that vanishes while it is listed is simply not there.
 */
export async function listWatchedFiles(root: string, matcher: PathMatcher, options: ListOptions = {}): Promise<string[]> {
  const found: string[] = []
  let sinceYield = 0
  // `real` is the directory's real path and `ancestors` the real paths above it: a symlink back
  // to one of them is a loop. A directory reached through no symlink is its parent's real path
  // plus its name, so only the start and symlinks cost a realpath.
  const walk = async (dirRel: string, real: string, ancestors: ReadonlySet<string>): Promise<void> => {
    if (ancestors.has(real)) return
    const absolute = dirRel === '' ? root : join(root, dirRel)
    let entries: Dirent[]
    try {
      entries = await readEntries(absolute)
    } catch (error) {
      if (isMissing(error)) return
      if (!options.onUnreadableDirectory) throw error
      options.onUnreadableDirectory(dirRel, error instanceof Error ? error : new Error(String(error)))
      return
    }
    const below = new Set(ancestors).add(real)
    // readdir decodes a name that is not UTF-8 with U+FFFD: that path does not exist.
    let invalid: ReadonlySet<string> = NO_NAMES
    if (entries.some((entry) => entry.name.includes('\uFFFD'))) {
      const raw = await invalidNamesIn(root, matcher, dirRel)
      for (const name of raw) options.onInvalidName?.(dirRel, name)
      invalid = new Set(raw.map((name) => name.toString('utf8')))
    }
    const prefix = dirRel === '' ? '' : `${dirRel}/`
    const subdirectories: string[] = []
    for (const entry of entries) {
      if (invalid.has(entry.name)) continue
      const rel = prefix + entry.name
      if (entry.isSymbolicLink()) await followLink(rel, below)
      else if (entry.isDirectory()) {
        if (matcher.couldContain(rel)) subdirectories.push(entry.name)
      } else if (entry.isFile() && matcher.isWatched(rel)) found.push(rel)
    }
    sinceYield += entries.length
    if (sinceYield >= YIELD_EVERY_ENTRIES) {
      sinceYield = 0
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    for (const name of subdirectories) await walk(prefix + name, `${real}/${name}`, below)
  }
  const followLink = async (rel: string, below: ReadonlySet<string>): Promise<void> => {
    const target = await statOrMissing(join(root, rel))
    if (target === undefined) return
    if (target.isDirectory() && matcher.couldContain(rel)) {
      const real = await realpathOrMissing(join(root, rel))
      if (real !== undefined) await walk(rel, real, below)
    } else if (target.isFile() && matcher.isWatched(rel)) found.push(rel)
  }
  const start = options.dirRel ?? ''
  if (!matcher.couldContain(start)) return []
  // Listing below the root: the directories above `start` count as ancestors too.
  const above = new Set<string>()
  const parts = start.split('/').slice(0, -1)
  for (let i = 0; start !== '' && i <= parts.length; i++) {
    const real = await realpathOrMissing(join(root, ...parts.slice(0, i)))
    if (real !== undefined) above.add(real)
  }
  const startReal = await realpathOrMissing(start === '' ? root : join(root, start))
  if (startReal !== undefined) await walk(start, startReal, above)
  return found.sort()
}

const NO_NAMES: ReadonlySet<string> = new Set()

/**
 * A directory's entries, read synchronously; out of descriptors, through the thread pool with
 * retries (fd-limit.ts) rather than failing the listing.
 */
async function readEntries(absolute: string): Promise<Dirent[]> {
  try {
    return readdirSync(absolute, { withFileTypes: true })
  } catch (error) {
    if (!isFdLimit(error)) throw error
    return retryOnFdLimit(`listing ${absolute}`, () => readdir(absolute, { withFileTypes: true }))
  }
}

/**
 * The names in the directory `dirRel` that are not valid UTF-8, as raw bytes, where (decoded
 * with U+FFFD) a watched file or a directory that could hold one would be.
 */
export async function invalidNamesIn(root: string, matcher: PathMatcher, dirRel: string): Promise<Buffer[]> {
  let names: Buffer[]
  try {
    names = await readdir(dirRel === '' ? root : join(root, dirRel), { encoding: 'buffer' })
  } catch (error) {
    if (isMissing(error)) return []
    throw error
  }
  return names.filter((raw) => {
    if (isUtf8(raw)) return false
    const rel = (dirRel === '' ? '' : `${dirRel}/`) + raw.toString('utf8')
    return matcher.isWatched(rel) || matcher.couldContain(rel)
  })
}

/** The error for a name that is not valid UTF-8: the directory, the bytes escaped, the fix. */
export function invalidNameError(dirRel: string, raw: Buffer): FileNameError {
  const dir = dirRel === '' ? '.' : dirRel
  const quoted = `$'${dirRel === '' ? '' : `${escapeBytes(Buffer.from(dirRel))}/`}${escapeBytes(raw)}'`
  return new FileNameError(`${dir}: a file name is not valid UTF-8, so it is not watched: ${quoted} (bytes ${raw.toString('hex').replace(/(..)(?!$)/g, '$1 ')})`, {
    path: dirRel === '' ? '.' : dirRel,
    hint: `Rename it to a UTF-8 name, e.g. mv ${quoted} <new name> (or convmv -f latin1 -t utf8 --notest on the directory).`,
  })
}

/** Bytes as a shell $'...' string would spell them: printable ASCII as is, the rest as \xNN. */
function escapeBytes(raw: Buffer): string {
  let out = ''
  for (const byte of raw) {
    const printable = byte >= 0x20 && byte < 0x7f && byte !== 0x5c && byte !== 0x27
    out += printable ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`
  }
  return out
}

/** `realpath`, with a missing path (or a dangling or looping symlink) as undefined. */
async function realpathOrMissing(absolute: string): Promise<string | undefined> {
  try {
    return await realpath(absolute)
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
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
