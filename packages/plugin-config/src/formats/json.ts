import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser'
import { ConfigParseError, ConfigSafetyError, CONFIG_ERROR_CODES, type ConfigError } from '../errors.js'
import type { KeySegment } from '../key-path.js'
import { losesDigits, lossyIntegerError, overflowError, overflows } from './numbers.js'
import { LineIndex, PositionTable, type ParseOptions, type ParseResult, type Position } from './source.js'

/**
 * JSON with comments and trailing commas (as tsconfig.json accepts), parsed by jsonc-parser.
 * The value is built from the syntax tree rather than by `JSON.parse`, which keeps the last of
 * two duplicate keys silently; here a duplicate is an error at the second occurrence.
 */
export function parseJson(text: string, options: ParseOptions, colons?: number): ParseResult {
  return parseStrict(text, options, colons) ?? parseTolerant(text, options)
}

/**
 * The fast path for a plain, valid JSON file (issue 11: jsonc-parser and the position table
 * cost ~74 µs per save of a small file): `JSON.parse`, then a check that no key was written
 * twice (a `:` outside strings for every key the value holds). Positions are only needed to
 * report a problem, so they are computed on first use, by the tolerant parser. Anything else
 * (comments, trailing commas, a syntax error, a duplicate, an integer that may lose digits) is
 * left to `parseTolerant`, which words the problem: undefined.
 */
function parseStrict(text: string, options: ParseOptions, colons?: number): ParseResult | undefined {
  let value: unknown
  try {
    value = JSON.parse(text) as unknown
  } catch {
    return undefined
  }
  const counted = countKeys(value)
  if (counted === undefined || counted !== (colons ?? countColons(text))) return undefined
  let positions: { values: ReadonlyMap<string, Position>; keys: ReadonlyMap<string, Position> } | undefined
  const located = () => {
    if (positions) return positions
    const tolerant = parseTolerant(text, options)
    positions = tolerant.ok ? { values: tolerant.source.valuePositions, keys: tolerant.source.keyPositions } : { values: new Map(), keys: new Map() }
    return positions
  }
  return {
    ok: true,
    source: {
      format: 'json',
      value,
      get valuePositions() {
        return located().values
      },
      get keyPositions() {
        return located().keys
      },
    },
  }
}

/**
 * Keys held by every object in `value`; undefined when the value needs the tolerant parser: a
 * `__proto__` key (kept as an ordinary key there), or a number that may not be the one written.
 */
function countKeys(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) || (Number.isFinite(value) && !Number.isInteger(value)) ? 0 : undefined
  if (value === null || typeof value !== 'object') return 0
  let total = 0
  if (Array.isArray(value)) {
    for (const item of value) {
      const n = countKeys(item)
      if (n === undefined) return undefined
      total += n
    }
    return total
  }
  if (Object.hasOwn(value, '__proto__')) return undefined
  for (const key of Object.keys(value)) {
    const n = countKeys((value as Record<string, unknown>)[key])
    if (n === undefined) return undefined
    total += n + 1
  }
  return total
}

/** `:` outside string literals: in valid JSON, one per key written. */
function countColons(text: string): number {
  let colons = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 58) colons++
    else if (c === 34) {
      // Skip the string, escapes included.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i)
        if (d === 92) i++
        else if (d === 34) break
      }
    }
  }
  return colons
}

/** jsonc-parser over the syntax tree, with every position: comments, trailing commas, problems. */
function parseTolerant(text: string, options: ParseOptions): ParseResult {
  const lines = new LineIndex(text)
  const syntax: ParseError[] = []
  const tree = parseTree(text, syntax, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false })
  if (syntax.length > 0 || !tree) {
    const errors = syntax.map((e) => {
      const at = lines.position(e.offset)
      return new ConfigParseError(`invalid JSON: ${humanize(printParseErrorCode(e.error))}`, {
        path: options.path,
        ...at,
        hint: 'Fix the syntax at this position; comments and trailing commas are allowed.',
      })
    })
    if (errors.length === 0) errors.push(new ConfigParseError('invalid JSON: the file is empty', { path: options.path, line: 1, column: 1, hint: 'Write an object, e.g. {}.' }))
    return { ok: false, errors }
  }
  const table = new PositionTable()
  const errors: ConfigError[] = []
  const value = build(tree, [], { table, lines, errors, path: options.path, text })
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, source: { format: 'json', value, valuePositions: table.values, keyPositions: table.keys } }
}

interface BuildContext {
  readonly table: PositionTable
  readonly lines: LineIndex
  readonly errors: ConfigError[]
  readonly path: string
  readonly text: string
}

function build(node: Node, path: KeySegment[], ctx: BuildContext): unknown {
  ctx.table.value(path, ctx.lines.position(node.offset))
  switch (node.type) {
    case 'object': {
      // A null prototype makes a `__proto__` key an ordinary property here; sanitize refuses it.
      const object: Record<string, unknown> = Object.create(null) as Record<string, unknown>
      const first = new Map<string, number>()
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? []
        if (!keyNode || !valueNode) continue
        const key = String(keyNode.value)
        const keyAt = ctx.lines.position(keyNode.offset)
        const earlier = first.get(key)
        if (earlier !== undefined) {
          const was = ctx.lines.position(earlier)
          ctx.errors.push(
            new ConfigSafetyError(CONFIG_ERROR_CODES.duplicateKey, `duplicate key "${key}" (first defined at line ${was.line}, column ${was.column})`, {
              path: ctx.path,
              ...keyAt,
              keyPath: [...path, key].join('.'),
              hint: 'Remove one of the two definitions; JSON would silently keep only the last.',
            }),
          )
          continue
        }
        first.set(key, keyNode.offset)
        ctx.table.key([...path, key], keyAt)
        object[key] = build(valueNode, [...path, key], ctx)
      }
      return object
    }
    case 'array':
      return (node.children ?? []).map((child, i) => build(child, [...path, i], ctx))
    case 'number':
      {
        const raw = ctx.text.slice(node.offset, node.offset + node.length)
        if (overflows(raw, node.value as number)) ctx.errors.push(overflowError(ctx.path, ctx.lines.position(node.offset), 'json', path.join('.')))
        else if (losesDigits(raw, node.value as number)) ctx.errors.push(lossyIntegerError(ctx.path, ctx.lines.position(node.offset), path.join('.')))
      }
      return node.value as unknown
    default:
      return node.value as unknown
  }
}

/** `ValueExpected` -> `value expected`. */
function humanize(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
}
