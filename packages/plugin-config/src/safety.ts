import { ConfigSafetyError, CONFIG_ERROR_CODES, type ConfigError } from './errors.js'
import { MAX_DEPTH } from './formats/depth.js'
import { formatKeyPath, pathId, type KeySegment } from './key-path.js'
import { locate, type ParsedSource, type Position } from './parse.js'

/** Keys that reach `Object.prototype` when a value is merged or copied by assignment. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/** Deeper nesting than this is refused (also by a scan before parsing, see `checkNesting`). */
export { MAX_DEPTH }

/** The refusal for a file over `maxFileBytes`, or undefined when it fits. */
export function checkSize(bytes: number, maxFileBytes: number, path: string): ConfigError | undefined {
  if (bytes <= maxFileBytes) return undefined
  return new ConfigSafetyError(CONFIG_ERROR_CODES.tooLarge, `file is ${bytes} bytes, over the ${maxFileBytes}-byte limit for config files`, {
    path,
    hint: 'Split the file, or raise the maxFileBytes option if it really is a config.',
  })
}

/**
 * Copies a parsed value into plain JSON-like data, refusing what the app must never see:
 * `__proto__`/`constructor`/`prototype` keys (each reported at its line:column), values other
 * than objects, arrays, strings, numbers, booleans and null, and nesting past `MAX_DEPTH`.
 * TOML dates become their TOML text (`1979-05-27`, `07:32:00`), so every format yields the
 * same kinds of values and schemas can check them with `format: 'date'` and friends.
 * The top level must be an object.
 */
export function sanitize(source: ParsedSource, path: string): { ok: true; value: Record<string, unknown> } | { ok: false; errors: ConfigError[] } {
  const errors: ConfigError[] = []
  const where = (keyPath: KeySegment[]): Partial<Position> => source.keyPositions.get(pathId(keyPath)) ?? locate(source, keyPath)?.position ?? {}

  // The key path of the value being copied, as a stack: a path array is made only for an error
  // (a save copied one per key and array item, issue 11).
  const keys: KeySegment[] = []
  const copy = (value: unknown): unknown => {
    if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value
    if (keys.length > MAX_DEPTH) {
      const keyPath = [...keys]
      errors.push(
        new ConfigSafetyError(CONFIG_ERROR_CODES.unsupportedValue, `values nest deeper than ${MAX_DEPTH} levels`, {
          path,
          ...where(keyPath),
          keyPath: formatKeyPath(keyPath),
          hint: 'Flatten the structure.',
        }),
      )
      return null
    }
    if (value instanceof Date) return value.toISOString()
    if (Array.isArray(value)) {
      const out = new Array<unknown>(value.length)
      for (let i = 0; i < value.length; i++) {
        keys.push(i)
        out[i] = copy(value[i])
        keys.pop()
      }
      return out
    }
    if (typeof value === 'object' && isRecordPrototype(value)) {
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(value)) {
        if (UNSAFE_KEYS.has(key)) {
          const childPath = [...keys, key]
          errors.push(
            new ConfigSafetyError(CONFIG_ERROR_CODES.unsafeKey, `the key "${key}" is not allowed: it could change every object's prototype`, {
              path,
              ...where(childPath),
              keyPath: formatKeyPath(childPath),
              hint: `Rename the key; "__proto__", "constructor" and "prototype" are refused in config files.`,
            }),
          )
          continue
        }
        keys.push(key)
        out[key] = copy((value as Record<string, unknown>)[key])
        keys.pop()
      }
      return out
    }
    const keyPath = [...keys]
    errors.push(
      new ConfigSafetyError(CONFIG_ERROR_CODES.unsupportedValue, `unsupported value of type ${describe(value)}`, {
        path,
        ...where(keyPath),
        keyPath: formatKeyPath(keyPath),
        hint: 'Use strings, numbers, booleans, null, arrays and objects only.',
      }),
    )
    return null
  }

  const root = source.value
  if (typeof root !== 'object' || root === null || Array.isArray(root) || !isRecordPrototype(root)) {
    return {
      ok: false,
      errors: [
        new ConfigSafetyError(CONFIG_ERROR_CODES.notObject, `the top level of a config file must be an object, not ${describe(root)}`, {
          path,
          line: 1,
          column: 1,
          hint: 'Write key/value pairs at the top level (a YAML mapping, a JSON object, TOML keys).',
        }),
      ],
    }
  }
  const value = copy(root) as Record<string, unknown>
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value }
}

/**
 * Freezes `value` and everything inside it, so no subscriber can change what the others see.
 * Returns the same value, now read-only.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    // Recursing even into frozen objects: a frozen container may still hold unfrozen children.
    Object.freeze(value)
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}

function isRecordPrototype(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object'
  return typeof value
}
