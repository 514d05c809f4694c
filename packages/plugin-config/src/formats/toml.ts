import { parse, TomlError } from 'smol-toml'
import { parseTOML, type AST } from 'toml-eslint-parser'
import { ConfigParseError, ConfigSafetyError, CONFIG_ERROR_CODES, type ConfigError } from '../errors.js'
import type { KeySegment } from '../key-path.js'
import { lossyIntegerError } from './numbers.js'
import { LineIndex, PositionTable, type ParseOptions, type ParseResult, type Position } from './source.js'

/**
 * TOML 1.0. Values come from smol-toml (reports line:column); positions come from
 * toml-eslint-parser's syntax tree, which smol-toml does not expose. The second parser also
 * holds the file to TOML 1.0, which smol-toml does not: smol-toml accepts TOML 1.1 syntax
 * (a trailing comma or a newline in an inline table, `\e`, times without seconds) and shifts
 * impossible dates (1979-02-30 becomes 1979-03-02) where toml-eslint-parser refuses them.
 * Unsafe keys are kept here so that `sanitize` refuses them with their position instead of
 * dropping them silently.
 */
export function parseToml(text: string, options: ParseOptions): ParseResult {
  let value: unknown
  try {
    value = parse(text, { unsafeKeyBehaviour: 'keep' })
  } catch (error) {
    if (!(error instanceof TomlError)) throw error
    return { ok: false, errors: [fromSmolToml(error, options.path)] }
  }
  const table = new PositionTable()
  table.value([], { line: 1, column: 1 })
  const refused = indexPositions(text, table, options.path)
  if (refused) return { ok: false, errors: [refused] }
  return { ok: true, source: { format: 'toml', value, valuePositions: table.values, keyPositions: table.keys } }
}

function fromSmolToml(error: TomlError, path: string): ConfigError {
  const message = (error.message.split('\n')[0] ?? error.message).replace(/^Invalid TOML document:\s*/, '')
  const where = { path, line: error.line, column: error.column, cause: error }
  if (/represented losslessly/i.test(message)) return lossyIntegerError(path, { line: error.line, column: error.column })
  if (/redefine|already defined/i.test(message)) {
    return new ConfigSafetyError(CONFIG_ERROR_CODES.duplicateKey, `duplicate key: ${message}`, { ...where, hint: 'Remove one of the two definitions of this key or table.' })
  }
  return new ConfigParseError(`invalid TOML: ${message}`, { ...where, hint: 'Fix the TOML syntax at this position.' })
}

/**
 * What toml-eslint-parser (TOML 1.0) refuses in a file smol-toml accepted: an impossible date
 * or time, or syntax only TOML 1.1 allows.
 */
function fromTomlEslint(error: SyntaxError & { index?: unknown; lineNumber?: unknown; column?: unknown }, text: string, path: string): ConfigError {
  const index = typeof error.index === 'number' ? error.index : 0
  if (/invalid (date|time)/i.test(error.message)) {
    // The parser points at the last digit it read; the value starts at the first.
    let start = index
    while (start > 0 && /[0-9:.-]/.test(text.charAt(start - 1))) start--
    const kind = /time/i.test(error.message) ? 'time' : 'date'
    return new ConfigParseError(`invalid TOML: this ${kind} does not exist (${kind === 'date' ? 'no such day in that month, e.g. February 30 or April 31' : 'hours 0-23, minutes and seconds 0-59'})`, {
      path,
      ...new LineIndex(text).position(start),
      hint: `Write a real calendar ${kind}; it is refused rather than moved to another ${kind === 'date' ? 'day' : 'time'}.`,
      cause: error,
    })
  }
  const onlyInToml11 = accepts11(text)
  return new ConfigParseError(onlyInToml11 ? `TOML 1.1 syntax is not accepted (config files are TOML 1.0): ${error.message}` : `invalid TOML: ${error.message}`, {
    path,
    ...new LineIndex(text).position(index),
    hint: onlyInToml11
      ? 'Keep each inline table on one line with no trailing comma, write times with seconds (07:30:00), and use \\u001b for \\e; or use a [table] section.'
      : 'Fix the TOML syntax at this position.',
    cause: error,
  })
}

function accepts11(text: string): boolean {
  try {
    parseTOML(text, { tomlVersion: '1.1.0' })
    return true
  } catch {
    return false
  }
}

/** Records where every key and value is written; returns the refusal if the file is not TOML 1.0. */
function indexPositions(text: string, table: PositionTable, path: string): ConfigError | undefined {
  let program: AST.TOMLProgram
  try {
    program = parseTOML(text, { tomlVersion: '1.0.0' })
  } catch (error) {
    if (error instanceof SyntaxError) return fromTomlEslint(error, text, path)
    throw error
  }
  const top = program.body[0]
  for (const item of top.body) {
    if (item.type === 'TOMLTable') {
      const base = item.resolvedKey
      table.value(base, at(item.loc.start))
      item.key.keys.forEach((_, i) => table.key(base.slice(0, i + 1), at(item.key.keys[i]?.loc.start ?? item.loc.start)))
      for (const kv of item.body) keyValue(kv, base, table)
    } else {
      keyValue(item, [], table)
    }
  }
  return undefined
}

function keyValue(kv: AST.TOMLKeyValue, base: readonly KeySegment[], table: PositionTable): void {
  const path = [...base]
  // A dotted key `a.b.c = 1` also defines the tables `a` and `a.b`, located at the key.
  for (const part of kv.key.keys) {
    path.push(part.type === 'TOMLBare' ? part.name : part.value)
    table.key(path, at(part.loc.start))
    if (part !== kv.key.keys[kv.key.keys.length - 1]) table.value(path, at(part.loc.start))
  }
  content(kv.value, path, table)
}

function content(node: AST.TOMLContentNode, path: KeySegment[], table: PositionTable): void {
  table.value(path, at(node.loc.start))
  if (node.type === 'TOMLArray') node.elements.forEach((element, i) => content(element, [...path, i], table))
  else if (node.type === 'TOMLInlineTable') for (const kv of node.body) keyValue(kv, path, table)
}

// toml-eslint-parser columns are 0-based, like ESLint's.
function at(position: AST.Position): Position {
  return { line: position.line, column: position.column + 1 }
}
