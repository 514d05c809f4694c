import { ConfigSafetyError, CONFIG_ERROR_CODES } from '../errors.js'
import type { Position } from './source.js'

// Decimal, hex, octal and binary integer literals (TOML and YAML spell the last three alike);
// TOML's `_` digit separators are removed first.
const INTEGER_LITERAL = /^(?:\d+|0x[0-9a-f]+|0o[0-7]+|0b[01]+)$/i

/**
 * True when the number literal `raw` names an integer other than `value`, the double the parser
 * made of it: an integer past 2^53 loses digits (9007199254740993 reads as ...992), so a value
 * printed back would differ from the file. Decimal fractions (`0.1`, `1e300`) are
 * approximations by nature and are left alone; a literal past 1.8e308 is `overflows`'s case.
 */
export function losesDigits(raw: string, value: number): boolean {
  if (Number.isSafeInteger(value) || !Number.isFinite(value)) return false
  const negative = raw.startsWith('-')
  const digits = raw.replace(/^[-+]/, '').replaceAll('_', '')
  if (!INTEGER_LITERAL.test(digits)) return false
  const exact = BigInt(digits)
  return BigInt(value) !== (negative ? -exact : exact)
}

/**
 * The problem for such an integer. The value itself is not printed: it may be a secret, and
 * the position already shows it.
 */
export function lossyIntegerError(path: string, at: Partial<Position>, keyPath?: string): ConfigSafetyError {
  return new ConfigSafetyError(CONFIG_ERROR_CODES.unsupportedValue, 'this number is too large to be read exactly: past 2^53 (9007199254740991) JavaScript numbers drop digits, and past 1.8e308 they become Infinity, so the app would see another number', {
    path,
    ...at,
    ...(keyPath === undefined ? {} : { keyPath }),
    hint: 'Quote it to keep it as text (an ID, an account number), or write it as a float (e.g. 1.5e19) if an approximate value is fine.',
  })
}

/**
 * True when `value` is not finite although the literal `raw` the file wrote is a finite number
 * (`1e400`, `-1e999`, 400 digits): the parser rounded it past 1.8e308 to Infinity. The literals
 * that mean infinity or not-a-number (YAML's `.inf` / `.nan`, TOML's `inf` / `nan`) contain no
 * digit, and are left alone: the file asked for them.
 */
export function overflows(raw: string, value: number): boolean {
  return !Number.isFinite(value) && /\d/.test(raw)
}

/** The literals each format has for infinity, for the hint (JSON has none). */
const INFINITY_LITERAL: Readonly<Record<'json' | 'yaml' | 'toml', string | undefined>> = { json: undefined, yaml: '.inf', toml: 'inf' }

/**
 * The problem for a finite literal that overflowed to Infinity. As for a lossy integer, the
 * digits are not printed: the position shows them.
 */
export function overflowError(path: string, at: Partial<Position>, format: 'json' | 'yaml' | 'toml', keyPath?: string): ConfigSafetyError {
  const infinity = INFINITY_LITERAL[format]
  return new ConfigSafetyError(CONFIG_ERROR_CODES.unsupportedValue, 'this number is too large: it is past 1.8e308, the largest JavaScript number, so the parser turned it into Infinity and the app would not see what the file says', {
    path,
    ...at,
    ...(keyPath === undefined ? {} : { keyPath }),
    hint: `Write a number below 1.8e308 (e.g. 1e308), or quote it to keep it as text${infinity ? `; if infinity is meant, write ${infinity}` : ''}.`,
  })
}
