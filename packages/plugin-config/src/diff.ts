import { collectPaths, formatKeyPath, isPlainRecord, matchesSelfOrAncestor, type KeyPath, type KeySegment } from './key-path.js'

/** What happened at one key path between two values of a config. */
export type DiffKind = 'added' | 'removed' | 'changed'

/**
 * One structural difference. `path` is the dot key path (`db.pool.max`, `servers.1`), `keys`
 * the same as segments. `oldValue` is absent for `added`, `newValue` for `removed`.
 */
export interface DiffEntry {
  readonly kind: DiffKind
  readonly path: string
  readonly keys: readonly KeySegment[]
  readonly oldValue?: unknown
  readonly newValue?: unknown
}

/** Every difference between two values of a config, in key order of the new value then removals. */
export type ConfigDiff = readonly DiffEntry[]

/**
 * The structural diff of two config values. Objects are compared key by key (key order alone
 * is not a change), arrays index by index (a longer array adds its tail, a shorter one removes
 * it); an object replaced by a primitive or an array, `null` replaced by `0`, and any other
 * change of type is one `changed` entry at that path. A removed object is one `removed` entry
 * carrying the whole old object. `undefined` stands for a config that does not exist: every
 * top-level key is then added or removed.
 */
export function diffValues(oldValue: unknown, newValue: unknown): DiffEntry[] {
  const out: DiffEntry[] = []
  walk(oldValue ?? {}, newValue ?? {}, [], out)
  return out
}

// `keys` is the path of `a` and `b`, a stack the walk pushes to and pops: an entry takes a copy,
// and the values that did not change (most of them, at a save) cost no array (issue 11).
function walk(a: unknown, b: unknown, keys: KeySegment[], out: DiffEntry[]): void {
  if (isPlainRecord(a) && isPlainRecord(b)) {
    for (const key of Object.keys(b)) {
      keys.push(key)
      if (!Object.hasOwn(a, key)) out.push(entry('added', [...keys], undefined, b[key]))
      else walk(a[key], b[key], keys, out)
      keys.pop()
    }
    for (const key of Object.keys(a)) if (!Object.hasOwn(b, key)) out.push(entry('removed', [...keys, key], a[key], undefined))
    return
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const shared = Math.min(a.length, b.length)
    for (let i = 0; i < shared; i++) {
      keys.push(i)
      walk(a[i], b[i], keys, out)
      keys.pop()
    }
    for (let i = shared; i < b.length; i++) out.push(entry('added', [...keys, i], undefined, b[i]))
    for (let i = shared; i < a.length; i++) out.push(entry('removed', [...keys, i], a[i], undefined))
    return
  }
  if (!sameScalar(a, b)) out.push(entry('changed', [...keys], a, b))
}

// `===` except that NaN (TOML's `nan`) equals itself; `null` and `0`, `"1"` and `1` differ.
function sameScalar(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b))
}

function entry(kind: DiffKind, keys: KeySegment[], oldValue: unknown, newValue: unknown): DiffEntry {
  const base = { kind, path: formatKeyPath(keys), keys: Object.freeze(keys) }
  if (kind === 'added') return { ...base, newValue }
  if (kind === 'removed') return { ...base, oldValue }
  return { ...base, oldValue, newValue }
}

/** True if a diff changes any key path matching `test`, at it, above it or below it. */
export function diffTouches(diff: ConfigDiff, test: (path: KeyPath) => boolean): boolean {
  return diff.some((entry) => entryTouches(entry.keys, entry.oldValue, entry.newValue, test))
}

/** True if a change at `keys` from `oldValue` to `newValue` touches a path matching `test`. */
export function entryTouches(keys: KeyPath, oldValue: unknown, newValue: unknown, test: (path: KeyPath) => boolean): boolean {
  const paths = [...collectPaths(keys, oldValue), ...collectPaths(keys, newValue)]
  return paths.some((p) => matchesSelfOrAncestor(p, test))
}
