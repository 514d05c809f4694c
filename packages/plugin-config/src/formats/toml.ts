import { parse, TomlError } from 'smol-toml'
import { parseTOML, type AST } from 'toml-eslint-parser'
import { ConfigParseError, ConfigSafetyError, CONFIG_ERROR_CODES } from '../errors.js'
import type { KeySegment } from '../key-path.js'
import { PositionTable, type ParseOptions, type ParseResult, type Position } from './source.js'

/**
 * TOML values come from smol-toml (spec-complete, reports line:column); positions come from
 * toml-eslint-parser's syntax tree, which smol-toml does not expose. Unsafe keys are kept here
 * so that `sanitize` refuses them with their position instead of dropping them silently.
 */
export function parseToml(text: string, options: ParseOptions): ParseResult {
  let value: unknown
  try {
    value = parse(text, { unsafeKeyBehaviour: 'keep' })
  } catch (error) {
    if (!(error instanceof TomlError)) throw error
    const message = (error.message.split('\n')[0] ?? error.message).replace(/^Invalid TOML document:\s*/, '')
    const where = { path: options.path, line: error.line, column: error.column, cause: error }
    const failure = /redefine|already defined/i.test(message)
      ? new ConfigSafetyError(CONFIG_ERROR_CODES.duplicateKey, `duplicate key: ${message}`, { ...where, hint: 'Remove one of the two definitions of this key or table.' })
      : new ConfigParseError(`invalid TOML: ${message}`, { ...where, hint: 'Fix the TOML syntax at this position.' })
    return { ok: false, errors: [failure] }
  }
  const table = new PositionTable()
  table.value([], { line: 1, column: 1 })
  indexPositions(text, table)
  return { ok: true, source: { format: 'toml', value, valuePositions: table.values, keyPositions: table.keys } }
}

function indexPositions(text: string, table: PositionTable): void {
  let program: AST.TOMLProgram
  try {
    program = parseTOML(text)
  } catch (error) {
    // smol-toml accepted the file, so this is a dialect difference between the two parsers:
    // the values are right, problems in this file are reported at line 1 instead.
    if (error instanceof SyntaxError) return
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
