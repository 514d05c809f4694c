import type { ConfigDiff, DiffEntry } from './diff.js'
import { isPlainRecord, type KeySegment } from './key-path.js'

/** Keys whose values are hidden in anything printed, unless the `redact` option says otherwise. */
export const DEFAULT_REDACT_PATTERN = /password|secret|token|key/i

/** What a hidden value is printed as. */
export const REDACTED = '[redacted]'

/**
 * A copy of `value` with every value under a key matching `pattern` (by default password,
 * secret, token, key, any case) replaced by `"[redacted]"`, whole subtrees included. For
 * printing: logs, the CLI, `--json`. The input is not changed.
 */
export function redact(value: unknown, pattern: RegExp = DEFAULT_REDACT_PATTERN): unknown {
  const test = stateless(pattern)
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk)
    if (isPlainRecord(v)) {
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(v)) out[key] = test(key) ? REDACTED : walk(v[key])
      return out
    }
    return v
  }
  return walk(value)
}

/**
 * A copy of a diff safe to print: an entry whose key path passes through a secret-looking key
 * has its old and new values hidden; other entries have their values redacted inside.
 */
export function redactDiff(diff: ConfigDiff, pattern: RegExp = DEFAULT_REDACT_PATTERN): DiffEntry[] {
  const test = stateless(pattern)
  return diff.map((entry) => {
    const secret = entry.keys.some((k) => typeof k === 'string' && test(k))
    const hide = (v: unknown): unknown => (secret ? REDACTED : redact(v, pattern))
    const out: { -readonly [K in keyof DiffEntry]: DiffEntry[K] } = { kind: entry.kind, path: entry.path, keys: entry.keys }
    if ('oldValue' in entry) out.oldValue = hide(entry.oldValue)
    if ('newValue' in entry) out.newValue = hide(entry.newValue)
    return out
  })
}

/**
 * One line per diff entry for people, values redacted: `+ cache.ttl = 60`,
 * `- legacy = {"a":1}`, `~ db.pool.max: 10 -> 20`.
 */
export function formatDiff(diff: ConfigDiff, pattern: RegExp = DEFAULT_REDACT_PATTERN): string[] {
  return redactDiff(diff, pattern).map((e) => {
    if (e.kind === 'added') return `+ ${e.path} = ${show(e.newValue)}`
    if (e.kind === 'removed') return `- ${e.path} = ${show(e.oldValue)}`
    return `~ ${e.path}: ${show(e.oldValue)} -> ${show(e.newValue)}`
  })
}

/** True when a key path passes through a key that `pattern` marks as secret. */
export function isSecretPath(keys: readonly KeySegment[], pattern: RegExp = DEFAULT_REDACT_PATTERN): boolean {
  const test = stateless(pattern)
  return keys.some((k) => typeof k === 'string' && test(k))
}

// A /g or /y pattern keeps `lastIndex` between calls and would skip every other match.
function stateless(pattern: RegExp): (key: string) => boolean {
  const re = pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')) : pattern
  return (key) => re.test(key)
}

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value)
}

/**
 * The values under secret keys in `value` (strings and numbers, whole subtrees of a secret
 * key included), longest first: what `redactSecrets` hides in a problem's message and hint.
 */
export function secretValues(value: unknown, pattern: RegExp = DEFAULT_REDACT_PATTERN): string[] {
  const test = stateless(pattern)
  const found = new Set<string>()
  const walk = (v: unknown, secret: boolean): void => {
    if (Array.isArray(v)) for (const item of v) walk(item, secret)
    else if (isPlainRecord(v)) for (const key of Object.keys(v)) walk(v[key], secret || test(key))
    else if (secret && (typeof v === 'string' || typeof v === 'number') && String(v) !== '') found.add(String(v))
  }
  walk(value, false)
  return [...found].sort((a, b) => b.length - a.length)
}

/**
 * `text` with every whole-word occurrence of a secret replaced by `"[redacted]"`. Rejection
 * messages are written not to quote values, but a parser's or a schema's wording may; this is
 * the guarantee that a secret's value is not printed even then. A short secret such as `1` may
 * hide an unrelated number of the message: hiding too much is the safe side.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) {
    if (!out.includes(secret)) continue
    const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'gu'), REDACTED)
  }
  return out
}

/** A problem with the secrets hidden in its message and hint. */
export function hideSecrets<P extends { readonly message: string; readonly hint?: string }>(problem: P, secrets: readonly string[]): P {
  if (secrets.length === 0) return problem
  return { ...problem, message: redactSecrets(problem.message, secrets), ...(problem.hint === undefined ? {} : { hint: redactSecrets(problem.hint, secrets) }) }
}
