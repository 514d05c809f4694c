import picomatch from 'picomatch'

/** One step into a config value: an object key or an array index. */
export type KeySegment = string | number

/** A location inside a config value, as segments. The root is `[]`. */
export type KeyPath = readonly KeySegment[]

/**
 * The dot form people read and write: `db.pool.max`, `servers.0.host`. Key paths in problems,
 * diffs and patterns all use it; the root is the empty string.
 */
export function formatKeyPath(path: KeyPath): string {
  return path.map(String).join('.')
}

/** Turns an ajv `instancePath` (a JSON pointer such as `/servers/0/host`) into segments. */
export function pointerToPath(pointer: string): KeySegment[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
}

/** A stable map key for a path, so `['a', 0]` and `['a', '0']` are the same location. */
export function pathId(path: KeyPath): string {
  return JSON.stringify(path.map(String))
}

/**
 * Compiles dot patterns (`db.pool.*`, `storage.**`, `server.port`) into a test on key paths.
 * Matching is picomatch's on the segments joined with `/`, so `*` is one key and `**` any depth.
 */
export function compileKeyPatterns(patterns: string | readonly string[]): (path: KeyPath) => boolean {
  const list = (typeof patterns === 'string' ? [patterns] : [...patterns]).map((p) => p.split('.').join('/'))
  const isMatch = picomatch(list, { dot: true })
  return (path) => isMatch(path.map(String).join('/'))
}

/**
 * Every key path inside `value` below `base`, `base` included: a change to an object or array
 * touches each of its descendants, so a pattern naming one of them must see it.
 */
export function collectPaths(base: KeyPath, value: unknown, out: KeySegment[][] = []): KeySegment[][] {
  out.push([...base])
  if (Array.isArray(value)) value.forEach((item, i) => collectPaths([...base, i], item, out))
  else if (isPlainRecord(value)) for (const key of Object.keys(value)) collectPaths([...base, key], value[key], out)
  return out
}

/** True if `path` or one of its ancestors matches: a change at `db.pool.max` is a change to `db.pool`. */
export function matchesSelfOrAncestor(path: KeyPath, test: (path: KeyPath) => boolean): boolean {
  for (let n = path.length; n > 0; n--) if (test(path.slice(0, n))) return true
  return false
}

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
