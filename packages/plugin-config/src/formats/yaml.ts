import { LineCounter, parseDocument, type YAMLError } from 'yaml'
import { ConfigParseError, ConfigSafetyError, CONFIG_ERROR_CODES, type ConfigError } from '../errors.js'
import { checkYamlTree, unprintableCharacter } from './yaml-checks.js'
import { LineIndex, PositionTable, type ParseOptions, type ParseResult, type Position } from './source.js'

/**
 * YAML 1.2 (core schema) with the `yaml` package, plus `<<` merge keys, which config files
 * commonly use to share defaults. Duplicate keys are errors, warnings are
 * treated as errors (a config should not depend on a tag the parser could not resolve), and
 * alias expansion is capped by `maxAliasCount` so a billion-laughs file fails in milliseconds.
 * What `yaml` accepts but a config must not hold (see `checkYamlTree`), and what it reports
 * without a position, is checked on the document before any value is built.
 */
export function parseYaml(text: string, options: ParseOptions): ParseResult {
  const lineCounter = new LineCounter()
  const pos = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset)
    return { line, column: col }
  }
  // The `yaml` parser keeps a NUL or an escape character in a plain scalar; YAML forbids both.
  const control = unprintableCharacter(text)
  if (control) {
    const at = new LineIndex(text).position(control.offset)
    return { ok: false, errors: [new ConfigParseError(`invalid YAML: ${control.name} is not allowed in a YAML file`, { path: options.path, ...at, hint: control.hint })] }
  }
  // logLevel 'error': `yaml` would print some problems with process.emitWarning (a collection
  // used as a mapping key is one); checkYamlTree reports them as problems instead.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true, strict: true, merge: true, logLevel: 'error' })
  const problems = [...doc.errors, ...doc.warnings]
  if (problems.length > 0) return { ok: false, errors: problems.map((e) => toConfigError(e, options.path)) }

  const table = new PositionTable()
  const root = doc.contents
  const checked = checkYamlTree(root, { table, pos, path: options.path })
  if (checked.errors.length > 0) return { ok: false, errors: checked.errors }

  // An empty file is an empty config; `null` written out is not an object and is refused later.
  if (root === null) return { ok: true, source: { format: 'yaml', value: {}, valuePositions: table.values, keyPositions: table.keys } }
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: options.maxAliasCount })
  } catch (error) {
    // Every alias resolves (checked above), so what remains is the alias bomb.
    const message = error instanceof Error ? error.message : String(error)
    const bomb = /alias count|alias resolution is disabled/i.test(message)
    const failure: ConfigError = bomb
      ? new ConfigSafetyError(CONFIG_ERROR_CODES.aliases, `YAML aliases expand to more than ${options.maxAliasCount} nodes (a "billion laughs" file)`, {
          path: options.path,
          ...checked.firstAlias,
          hint: 'Use fewer aliases (*name), or raise the maxAliasCount option if this file is trusted.',
          cause: error,
        })
      : new ConfigParseError(`invalid YAML: ${message}`, { path: options.path, ...checked.firstAlias, hint: 'Fix the YAML at this position.', cause: error })
    return { ok: false, errors: [failure] }
  }
  return { ok: true, source: { format: 'yaml', value, valuePositions: table.values, keyPositions: table.keys } }
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
