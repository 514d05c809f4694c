import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { OptionsError } from './errors.js'

// One ajv for the core and every plugin's options: the same wording and did-you-mean everywhere.
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false })
const compiled = new WeakMap<TSchema, ValidateFunction>()

/** How `checkOptions` names the caller and the fix. */
export interface CheckOptionsContext {
  /** Who takes the options, e.g. `configPlugin()`; starts every message. */
  readonly source: string
  /** The plugin the options belong to, for the error's `plugin` field. */
  readonly plugin?: string
  /** Extra advice after the list of valid options. */
  readonly hint?: string
}

/**
 * Checks `value` against a TypeBox object schema (compiled once per schema) and returns it typed.
 * Throws one `OptionsError` listing every problem at once: each unknown key with a did-you-mean
 * from the schema's own keys, each wrong type with the option's path. Never mutates `value`.
 * Options that are not JSON data (functions, RegExp, plugin objects) are declared with
 * `Type.Unsafe()` or `Type.Any()` in the schema and checked by the caller.
 */
export function checkOptions<S extends TSchema>(schema: S, value: unknown, context: CheckOptionsContext): Static<S> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OptionsError(`${context.source}: options must be an object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`, {
      ...(context.plugin ? { plugin: context.plugin } : {}),
    })
  }
  if (acceptsWithoutCompiling(schema, value)) return value as Static<S>
  let check = compiled.get(schema)
  if (!check) compiled.set(schema, (check = ajv.compile(schema)))
  if (check(value)) return value as Static<S>
  const known = Object.keys((schema as { properties?: object }).properties ?? {})
  const lines = (check.errors ?? []).map((e) => describeError(e, known))
  throw new OptionsError(`${context.source}: ${[...new Set(lines)].join('; ')}`, {
    ...(context.plugin ? { plugin: context.plugin } : {}),
    hint: `Valid options: ${known.join(', ')}.${context.hint ? ` ${context.hint}` : ''}`,
  })
}

/**
 * TypeBox checks a small options object without generating code; ajv compiling each plugin's
 * options schema was a large part of start-up (issue 11). Only a pass is taken from it: a
 * failure, or a schema TypeBox cannot check on its own (`Type.Unsafe`), goes to ajv, which
 * decides and words the errors.
 */
function acceptsWithoutCompiling(schema: TSchema, value: unknown): boolean {
  try {
    return Value.Check(schema, value)
  } catch {
    return false
  }
}

function describeError(e: ErrorObject, known: readonly string[]): string {
  const at = e.instancePath.replace(/^\//, '').replaceAll('/', '.')
  if (e.keyword === 'additionalProperties') {
    const key = String(e.params['additionalProperty'])
    const where = at ? `${at}.${key}` : key
    const match = at ? undefined : didYouMean(key, known)
    return `unknown option "${where}"${match ? ` (did you mean "${match}"?)` : ''}`
  }
  return `option "${at || '(options)'}" ${e.message ?? 'is invalid'}`
}

/** The known name closest to `input` by edit distance, when it is close enough to be a typo. */
export function didYouMean(input: string, known: readonly string[]): string | undefined {
  const lower = input.toLowerCase()
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const d = editDistance(lower, candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  // A third of the word may be wrong (at least one edit): `dirr` -> `dir`, `stie` -> `site`.
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(input.length / 3)) ? best : undefined
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) (rows[0] as number[])[j] = j
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[]
    const prev = rows[i - 1] as number[]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1)
      row[j] = d
    }
  }
  return (rows[a.length] as number[])[b.length] as number
}
