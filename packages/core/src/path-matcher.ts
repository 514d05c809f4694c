import { isAbsolute, relative, sep } from 'node:path'
import picomatch from 'picomatch'
import { globTest } from './glob-test.js'

/**
 * Decides which root-relative paths the kernel watches. Every path is posix, relative to the root,
 * without a leading `./`. Include and exclude sets can grow and shrink while the watcher runs
 * (plugins exclude their own outputs), so every query reads the current sets.
 */
export interface PathMatcher {
  /** root-relative posix path of a FILE: matches an include glob and no exclude glob/path */
  isWatched(rel: string): boolean
  /** excluded by an ignore glob or an excluded path (a directory excludes everything under it) */
  isExcluded(rel: string): boolean
  /** could a directory at `rel` ('' = root) contain watched files? (pruned by include glob bases and by exclusion) */
  couldContain(dirRel: string): boolean
  /** Adds include globs; returns their removal. */
  include(globs: readonly string[]): () => void
  /** Adds exclude globs or absolute paths (absolute paths under root become root-relative); returns their removal. */
  exclude(globsOrAbsolutePaths: readonly string[]): () => void
}

interface IncludeEntry {
  readonly glob: string
  /** Directory the glob cannot match outside of ('' = anywhere). */
  readonly base: string
  /** How many directory levels below `base` a match can be; Infinity for `**`, braces, negations. */
  readonly maxDirDepth: number
  /** A literal file path: only its ancestors can contain it. */
  readonly literal: boolean
}

interface ExcludeEntry {
  readonly pattern: string
  /** A literal path (no glob characters): excludes itself and everything under it. */
  readonly literal: boolean
}

// `dot: true` so that dotfiles are hidden by the `**/.*` exclude (which the user may replace) and
// not silently by the include globs.
const PICO_OPTIONS = { dot: true } as const
// Answers are cached per path until the sets change: the initial load, the watcher's scan and
// every event ask about the same paths, and picomatch (once per directory prefix for excludes)
// was the largest cost of an event. Past this many paths the cache starts again.
const MAX_CACHED_ANSWERS = 50_000

/**
 * Creates a matcher for `root` from include globs and exclude globs or paths. A literal exclude
 * (an absolute path under root, or a relative path without glob characters) excludes that path
 * and everything below it; an exclude glob matching a directory does the same.
 */
export function createPathMatcher(root: string, include: readonly string[], exclude: readonly string[]): PathMatcher {
  const includes: IncludeEntry[] = []
  const excludes: ExcludeEntry[] = []
  let includeTest: (rel: string) => boolean = () => false
  let excludeGlobTest: (rel: string) => boolean = () => false
  let excludedPaths = new Set<string>()
  const watchedAnswers = new Map<string, boolean>()
  const excludedAnswers = new Map<string, boolean>()

  function remember(cache: Map<string, boolean>, key: string, answer: boolean): boolean {
    if (cache.size >= MAX_CACHED_ANSWERS) cache.clear()
    cache.set(key, answer)
    return answer
  }

  function rebuild(): void {
    watchedAnswers.clear()
    excludedAnswers.clear()
    lastParent = ''
    const globs = includes.map((e) => e.glob)
    includeTest = globTest(globs, PICO_OPTIONS)
    excludeGlobTest = globTest(excludes.filter((e) => !e.literal).map((e) => e.pattern), PICO_OPTIONS)
    excludedPaths = new Set(excludes.filter((e) => e.literal).map((e) => e.pattern))
  }

  function addIncludes(globs: readonly string[]): () => void {
    const added = globs.map(toIncludeEntry)
    includes.push(...added)
    rebuild()
    return once(() => {
      for (const entry of added) removeOne(includes, entry)
      rebuild()
    })
  }

  function addExcludes(patterns: readonly string[]): () => void {
    const added = patterns.map((p) => toExcludeEntry(root, p)).filter((e): e is ExcludeEntry => e !== undefined)
    excludes.push(...added)
    rebuild()
    return once(() => {
      for (const entry of added) removeOne(excludes, entry)
      rebuild()
    })
  }

  function isExcluded(rel: string): boolean {
    const cached = excludedAnswers.get(rel)
    if (cached !== undefined) return cached
    return remember(excludedAnswers, rel, computeExcluded(rel))
  }

  function computeExcluded(rel: string): boolean {
    const path = normalizeRel(rel)
    if (excludedPaths.has('')) return true
    if (path === '') return false
    return excludedItself(path) || parentExcluded(path)
  }

  /** Excluded by an ignore glob or excluded path naming `path` itself (not a directory above it). */
  function excludedItself(path: string): boolean {
    return excludedPaths.has(path) || excludeGlobTest(path)
  }

  // A path is excluded when any directory above it is: `**/.*` names `.hotreload`, and
  // everything in `.hotreload/backups/` must be hidden with it. The directory's answer is cached,
  // so the files of one directory cost one glob test each, not one per level.
  // The files of a directory come one after another (a listing, a watcher's scan): the last
  // directory asked about is remembered, which saves slicing and hashing its path per file.
  let lastParent = ''
  let lastParentExcluded = false
  function parentExcluded(path: string): boolean {
    const slash = path.lastIndexOf('/')
    if (slash === -1) return false
    if (slash === lastParent.length && lastParent !== '' && path.startsWith(lastParent)) return lastParentExcluded
    lastParent = path.slice(0, slash)
    lastParentExcluded = isExcluded(lastParent)
    return lastParentExcluded
  }

  function couldContain(dirRel: string): boolean {
    const dir = normalizeRel(dirRel)
    if (isExcluded(dir)) return false
    return includes.some((entry) => entryCouldContain(entry, dir))
  }

  addIncludes(include)
  addExcludes(exclude)

  return {
    isWatched(rel) {
      const cached = watchedAnswers.get(rel)
      if (cached !== undefined) return cached
      const path = normalizeRel(rel)
      // The file's own exclusion is not cached: only its answer here is (one entry per file).
      const watched = path !== '' && !excludedPaths.has('') && includeTest(path) && !excludedItself(path) && !parentExcluded(path)
      return remember(watchedAnswers, rel, watched)
    },
    isExcluded,
    couldContain,
    include: addIncludes,
    exclude: addExcludes,
  }
}

function entryCouldContain(entry: IncludeEntry, dir: string): boolean {
  if (dir === '') return true
  const { base } = entry
  // The directory is above the glob's base: the base (or the literal file) may be inside it.
  if (base === '' ? false : base.startsWith(`${dir}/`)) return true
  if (entry.literal) return false
  if (base !== '' && dir !== base && !dir.startsWith(`${base}/`)) return false
  const depthBelowBase = base === '' ? dir.split('/').length : dir === base ? 0 : dir.slice(base.length + 1).split('/').length
  return depthBelowBase <= entry.maxDirDepth
}

function toIncludeEntry(raw: string): IncludeEntry {
  const glob = stripDotSlash(raw)
  const scan = picomatch.scan(glob)
  if (scan.negated) return { glob, base: '', maxDirDepth: Infinity, literal: false }
  if (!scan.isGlob) return { glob, base: glob, maxDirDepth: 0, literal: true }
  const rest = scan.glob
  // Segments of the glob below its base bound the depth, unless `**` or a brace (which may hold
  // a `/`) or an extglob makes that count unreliable.
  const unbounded = rest.includes('**') || rest.includes('{') || scan.isExtglob
  return { glob, base: scan.base, maxDirDepth: unbounded ? Infinity : rest.split('/').length - 1, literal: false }
}

function toExcludeEntry(root: string, raw: string): ExcludeEntry | undefined {
  if (isAbsolute(raw)) {
    const rel = relative(root, raw)
    // A path outside the root can never be reported by a watcher of the root.
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined
    return { pattern: rel.split(sep).join('/'), literal: true }
  }
  const pattern = stripDotSlash(raw)
  return { pattern, literal: !picomatch.scan(pattern).isGlob }
}

function stripDotSlash(p: string): string {
  let s = p
  while (s.startsWith('./')) s = s.slice(2)
  return s.endsWith('/') && s.length > 1 ? s.slice(0, -1) : s
}

function normalizeRel(rel: string): string {
  const s = stripDotSlash(rel)
  return s === '.' ? '' : s
}

function removeOne<T>(list: T[], item: T): void {
  const i = list.indexOf(item)
  if (i !== -1) list.splice(i, 1)
}

function once(fn: () => void): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    fn()
  }
}
