import { ConfigSafetyError, CONFIG_ERROR_CODES } from '../errors.js'
import type { Position } from './source.js'

// Decimal, hex, octal and binary integer literals (TOML and YAML spell the last three alike);
// TOML's `_` digit separators are removed first.
const INTEGER_LITERAL = /^(?:\d+|0x[0-9a-f]+|0o[0-7]+|0b[01]+)$/i

/**
 * True when the number literal `raw` names another number than `value`, the double the parser
 * made of it: an integer past 2^53 loses digits (9007199254740993 reads as ...992), and digits
 * past 1.8e308 become Infinity, so a value printed back would differ from the file. Decimal
 * fractions (`0.1`, `1e300`) are approximations by nature and are left alone.
 */
export function losesDigits(raw: string, value: number): boolean {
  if (Number.isSafeInteger(value)) return false
  const negative = raw.startsWith('-')
  const digits = raw.replace(/^[-+]/, '').replaceAll('_', '')
  // Digits that overflow to Infinity (JSON's 1e400); YAML's .inf and TOML's inf are not digits.
  if (!Number.isFinite(value)) return /^\d/.test(digits)
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
