import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from 'yaml'
import { ConfigParseError, ConfigSafetyError, CONFIG_ERROR_CODES, type ConfigError } from '../errors.js'
import type { KeySegment } from '../key-path.js'
import { PositionTable, type ParseOptions, type ParseResult, type Position } from './source.js'

/**
 * YAML 1.2 (core schema) with the `yaml` package, plus `<<` merge keys, which config files
 * commonly use to share defaults. Duplicate keys are errors, warnings are
 * treated as errors (a config should not depend on a tag the parser could not resolve), and
 * alias expansion is capped by `maxAliasCount` so a billion-laughs file fails in milliseconds.
 */
export function parseYaml(text: string, options: ParseOptions): ParseResult {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true, strict: true, merge: true })
  const problems = [...doc.errors, ...doc.warnings]
  if (problems.length > 0) return { ok: false, errors: problems.map((e) => toConfigError(e, options.path)) }

  const table = new PositionTable()
  const pos = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset)
    return { line, column: col }
  }
  const root = doc.contents
  table.value([], isNode(root) && root.range ? pos(root.range[0]) : { line: 1, column: 1 })
  walk(root, [], table, pos)

  // An empty file is an empty config; `null` written out is not an object and is refused later.
  if (root === null) return { ok: true, source: { format: 'yaml', value: {}, valuePositions: table.values, keyPositions: table.keys } }
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: options.maxAliasCount })
  } catch (error) {
    // toJS throws a ReferenceError for alias bombs and for aliases to anchors that do not exist.
    const message = error instanceof Error ? error.message : String(error)
    const bomb = /alias count/i.test(message)
    const failure: ConfigError = bomb
      ? new ConfigSafetyError(CONFIG_ERROR_CODES.aliases, `YAML aliases expand to more than ${options.maxAliasCount} nodes (a "billion laughs" file)`, {
          path: options.path,
          hint: 'Use fewer aliases (*name), or raise the maxAliasCount option if this file is trusted.',
          cause: error,
        })
      : new ConfigParseError(`invalid YAML: ${message}`, { path: options.path, cause: error })
    return { ok: false, errors: [failure] }
  }
  return { ok: true, source: { format: 'yaml', value, valuePositions: table.values, keyPositions: table.keys } }
}

function walk(node: unknown, path: KeySegment[], table: PositionTable, pos: (offset: number) => Position): void {
  // An alias is located where it is written; expanding it here would undo the alias bound.
  if (isAlias(node)) return
  if (isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key
      if (!isScalar(keyNode)) continue
      const childPath = [...path, String(keyNode.value)]
      const keyAt = keyNode.range ? pos(keyNode.range[0]) : undefined
      if (keyAt) table.key(childPath, keyAt)
      const valueNode = pair.value
      const valueAt = isNode(valueNode) && valueNode.range ? pos(valueNode.range[0]) : keyAt
      if (valueAt) table.value(childPath, valueAt)
      walk(valueNode, childPath, table, pos)
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      if (isNode(item) && item.range) table.value([...path, i], pos(item.range[0]))
      walk(item, [...path, i], table, pos)
    })
  }
}

function toConfigError(error: YAMLError, path: string): ConfigError {
  const at = error.linePos?.[0]
  const where = at ? { line: at.line, column: at.col } : {}
  // prettyErrors appends " at line L, column C:" and a source excerpt; the position is kept apart.
  const first = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?\s*$/, '')
  if (error.code === 'DUPLICATE_KEY') {
    return new ConfigSafetyError(CONFIG_ERROR_CODES.duplicateKey, `duplicate key: ${first}`, {
      path,
      ...where,
      hint: 'Remove one of the two definitions of this key.',
      cause: error,
    })
  }
  if (error.code === 'MULTIPLE_DOCS') {
    return new ConfigParseError('the file holds several YAML documents (separated by ---); a config file holds one', {
      path,
      ...where,
      hint: 'Keep a single document, or split it into one file per config.',
      cause: error,
    })
  }
  return new ConfigParseError(`invalid YAML: ${first}`, { path, ...where, hint: 'Fix the YAML syntax at this position.', cause: error })
}
