import { isAlias, isMap, isNode, isScalar, isSeq, type Alias, type Node, type Scalar } from 'yaml'
import { ConfigParseError, ConfigSafetyError, CONFIG_ERROR_CODES, type ConfigError } from '../errors.js'
import { formatKeyPath, type KeySegment } from '../key-path.js'
import { losesDigits, lossyIntegerError } from './numbers.js'
import type { PositionTable, Position } from './source.js'

export interface YamlCheckContext {
  readonly table: PositionTable
  readonly pos: (offset: number) => Position
  /** Root-relative path, named in every error. */
  readonly path: string
}

/**
 * Walks a parsed YAML document once, before any value is built, recording where each key and
 * value is written and refusing, each at its node's position:
 * - an alias to an anchor that does not exist, or that is only defined after it (`toJS` says
 *   "Unresolved alias" with no position);
 * - a `<<` merge key whose value is not a mapping or a list of mappings (`toJS` throws
 *   "Merge sources must be maps" with no position);
 * - a mapping key that is a collection (`? [a, b]`): `yaml` would turn it into the text
 *   "[ a, b ]" and say so only through `process.emitWarning`;
 * - an integer that a JavaScript number cannot hold exactly.
 * Aliases are not followed, so the walk stays linear however many there are.
 */
export function checkYamlTree(root: unknown, ctx: YamlCheckContext): { errors: ConfigError[]; firstAlias?: Position } {
  const state: WalkState = { ...ctx, errors: [], anchors: new Map(), unresolved: [] }
  if (isNode(root)) state.table.value([], root.range ? ctx.pos(root.range[0]) : { line: 1, column: 1 })
  else state.table.value([], { line: 1, column: 1 })
  walk(root, [], state)
  // Anchors defined anywhere are known now: an alias that found none before it may find one after.
  for (const { alias, keyPath } of state.unresolved) {
    const later = state.anchors.get(alias.source)
    const laterAt = later?.range ? state.pos(later.range[0]) : undefined
    state.errors.push(
      new ConfigParseError(
        later ? `invalid YAML: the alias *${alias.source} is used before its anchor &${alias.source}${laterAt ? ` (line ${laterAt.line})` : ''}` : `invalid YAML: the alias *${alias.source} refers to no anchor`,
        {
          path: ctx.path,
          ...at(alias, state),
          ...(keyPath.length ? { keyPath: formatKeyPath(keyPath) } : {}),
          hint: later
            ? `Move the anchored value (&${alias.source}) above its first use: an alias can only refer back.`
            : `Define the value with &${alias.source} before this line, or fix the alias name.`,
        },
      ),
    )
  }
  state.errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
  return { errors: state.errors, ...(state.firstAlias ? { firstAlias: state.firstAlias } : {}) }
}

interface WalkState extends YamlCheckContext {
  readonly errors: ConfigError[]
  /** The last node defining each anchor so far, in document order. */
  readonly anchors: Map<string, Node>
  readonly unresolved: { alias: Alias; keyPath: KeySegment[] }[]
  firstAlias?: Position
}

function walk(node: unknown, path: KeySegment[], state: WalkState): void {
  if (!isNode(node)) return
  if (isAlias(node)) {
    resolve(node, path, state)
    return
  }
  // An anchor is visible to aliases inside its own node too, as in `yaml`'s own resolution.
  if (node.anchor) state.anchors.set(node.anchor, node)
  if (isScalar(node)) {
    if (typeof node.value === 'number' && losesDigits(node.source ?? String(node.value), node.value)) {
      state.errors.push(lossyIntegerError(state.path, at(node, state), formatKeyPath(path)))
    }
    return
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key
      const valueNode = pair.value
      if (isNode(keyNode) && !isAlias(keyNode) && keyNode.anchor) state.anchors.set(keyNode.anchor, keyNode)
      const keyTarget = isAlias(keyNode) ? resolve(keyNode, path, state) : keyNode
      if (isMap(keyTarget) || isSeq(keyTarget)) {
        state.errors.push(
          new ConfigSafetyError(CONFIG_ERROR_CODES.unsupportedValue, 'a mapping key is a list or a mapping; config keys are text', {
            path: state.path,
            ...at(keyNode as Node, state),
            ...(path.length ? { keyPath: formatKeyPath(path) } : {}),
            hint: 'Write the key as plain text (quote it if it contains [ ] { }), e.g. "a, b": 1.',
          }),
        )
        walk(valueNode, path, state)
        continue
      }
      if (!isScalar(keyTarget)) {
        walk(valueNode, path, state)
        continue
      }
      if (isMergeKey(keyTarget)) {
        checkMerge(valueNode, path, state)
        walk(valueNode, path, state)
        continue
      }
      if (typeof keyTarget.value === 'number' && losesDigits(keyTarget.source ?? String(keyTarget.value), keyTarget.value)) {
        state.errors.push(lossyIntegerError(state.path, at(keyTarget, state), formatKeyPath(path)))
      }
      const childPath = [...path, String(keyTarget.value)]
      const keyAt = isNode(keyNode) && keyNode.range ? state.pos(keyNode.range[0]) : undefined
      if (keyAt) state.table.key(childPath, keyAt)
      const valueAt = isNode(valueNode) && valueNode.range ? state.pos(valueNode.range[0]) : keyAt
      if (valueAt) state.table.value(childPath, valueAt)
      walk(valueNode, childPath, state)
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      if (isNode(item) && item.range) state.table.value([...path, i], state.pos(item.range[0]))
      walk(item, [...path, i], state)
    })
  }
}

/** The node an alias stands for (the last anchor of that name before it), or undefined, noted for later. */
function resolve(alias: Alias, path: KeySegment[], state: WalkState): Node | undefined {
  state.firstAlias ??= at(alias, state) as Position
  const target = state.anchors.get(alias.source)
  if (!target) state.unresolved.push({ alias, keyPath: path })
  return target
}

/** `<<: *defaults` and `<<: [*a, *b]` merge mappings; anything else is refused where it is written. */
function checkMerge(value: unknown, path: KeySegment[], state: WalkState): void {
  // The aliases themselves are resolved (and reported if they dangle) when the value is walked.
  const direct = isAlias(value) ? state.anchors.get(value.source) : value
  const sources: unknown[] = isSeq(direct) ? direct.items : [value]
  for (const source of sources) {
    const target = isAlias(source) ? state.anchors.get(source.source) : source
    if (isAlias(source) && target === undefined) continue
    if (isMap(target)) continue
    const what = isSeq(target) ? 'a list' : isScalar(target) && target.value === null ? 'empty' : 'a single value'
    state.errors.push(
      new ConfigParseError(`invalid YAML: the merge key << takes a mapping or a list of mappings, and this is ${what}`, {
        path: state.path,
        ...at((isNode(source) ? source : isNode(value) ? value : undefined) as Node | undefined, state),
        ...(path.length ? { keyPath: formatKeyPath(path) } : {}),
        hint: 'Merge an anchored mapping (<<: *defaults) or a list of them (<<: [*a, *b]); write single values as ordinary keys.',
      }),
    )
  }
}

function isMergeKey(key: Scalar): boolean {
  // With `merge: true`, yaml resolves a plain `<<` key to a symbol described "<<"; a quoted
  // "<<" is an ordinary key, as in yaml's own test.
  const value = key.value
  return (typeof value === 'symbol' && value.description === '<<') || (value === '<<' && (!key.type || key.type === 'PLAIN'))
}

function at(node: Node | undefined, state: WalkState): Partial<Position> {
  return node?.range ? state.pos(node.range[0]) : {}
}

// YAML 1.2's c-printable (tab, LF, CR, x20-x7E, NEL, xA0 and above, minus xFFFE and xFFFF).
// Matching control characters is the point here.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F\uFFFE\uFFFF]/

/** The first character YAML does not allow in a stream at all, with what to do about it. */
export function unprintableCharacter(text: string): { offset: number; name: string; hint: string } | undefined {
  const match = UNPRINTABLE.exec(text)
  if (!match) return undefined
  const code = match[0].charCodeAt(0)
  const name = `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}${code === 0 ? ' (NUL)' : ''}`
  return { offset: match.index, name, hint: 'Remove it; inside a double-quoted string it can be written as an escape ("\\0", "\\x1b", "\\u0007").' }
}
