import { ConfigSafetyError, CONFIG_ERROR_CODES } from '../errors.js'
import { positionAt, type ConfigFormat } from './source.js'

/** Deeper nesting than this is refused: no real config needs it, and walking it risks the stack. */
export const MAX_DEPTH = 100

/**
 * Refuses a file whose values nest deeper than `maxDepth` levels before any parser builds it.
 * The parsers here build the whole document first, recursively: 1 MB of `[[[[` or `- - - -`
 * cost the YAML parser 1.4 s and 420 MiB, and 500,000 dotted TOML key segments ran smol-toml
 * out of heap. One pass over the characters, no allocation but one number per open level
 * (cut off at the limit), so any file is refused in linear time and constant memory.
 *
 * The scans only skip what can hide brackets and indicators (strings, comments, block
 * scalars); they do not validate syntax, which the parser does next. Each may count a level
 * too few on malformed input (the parser then reports it) but never more than one level too
 * many on valid input, so the limit given is the depth `sanitize` allows plus that slack.
 */
export function checkNesting(text: string, format: ConfigFormat, path: string, maxDepth: number): ConfigSafetyError | undefined {
  const at = format === 'json' ? jsonScan(text, maxDepth + 1).tooDeepAt : format === 'toml' ? tomlTooDeep(text, maxDepth) : yamlTooDeep(text, maxDepth + 2)
  return at < 0 ? undefined : nestingError(text, at, path, maxDepth)
}

/**
 * `checkNesting` for JSON, which also returns what the same pass counted: the `:` outside
 * strings and comments. In a file `JSON.parse` accepts (no comments) that is one per key
 * written, the strict parser's duplicate-key check (json.ts), so the text is scanned once per
 * save rather than twice (issue 11).
 */
export function checkJsonNesting(text: string, path: string, maxDepth: number): { readonly error?: ConfigSafetyError; readonly colons: number } {
  const { tooDeepAt, colons } = jsonScan(text, maxDepth + 1)
  return tooDeepAt < 0 ? { colons } : { error: nestingError(text, tooDeepAt, path, maxDepth), colons }
}

function nestingError(text: string, at: number, path: string, maxDepth: number): ConfigSafetyError {
  return new ConfigSafetyError(CONFIG_ERROR_CODES.unsupportedValue, `values nest deeper than ${maxDepth} levels`, {
    path,
    ...positionAt(text, at),
    hint: 'Flatten the structure; the file was refused before it was parsed.',
  })
}

const enum C {
  Tab = 9,
  Newline = 10,
  Return = 13,
  Space = 32,
  DoubleQuote = 34,
  Hash = 35,
  Percent = 37,
  Ampersand = 38,
  SingleQuote = 39,
  Star = 42,
  Comma = 44,
  Dash = 45,
  Dot = 46,
  Slash = 47,
  Colon = 58,
  Equals = 61,
  Greater = 62,
  Question = 63,
  Bang = 33,
  OpenBracket = 91,
  Backslash = 92,
  CloseBracket = 93,
  OpenBrace = 123,
  Pipe = 124,
  CloseBrace = 125,
}

/**
 * JSON with comments: every `[` and `{` outside strings and comments opens a level. The offset
 * of the first too deep, or -1, and the `:` seen outside strings and comments up to there.
 */
function jsonScan(text: string, limit: number): { tooDeepAt: number; colons: number } {
  const n = text.length
  let depth = 0
  let colons = 0
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === C.DoubleQuote) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i)
        if (d === C.Backslash) i++
        else if (d === C.DoubleQuote || d === C.Newline) break
      }
    } else if (c === C.Slash && text.charCodeAt(i + 1) === C.Slash) {
      i = lineEnd(text, i) - 1
    } else if (c === C.Slash && text.charCodeAt(i + 1) === C.Star) {
      const end = text.indexOf('*/', i + 2)
      i = end < 0 ? n : end + 1
    } else if (c === C.Colon) {
      colons++
    } else if (c === C.OpenBracket || c === C.OpenBrace) {
      if (++depth > limit) return { tooDeepAt: i, colons }
    } else if ((c === C.CloseBracket || c === C.CloseBrace) && depth > 0) {
      depth--
    }
  }
  return { tooDeepAt: -1, colons }
}

/**
 * TOML: the key path length of every table and container, from table headers (`[a.b]` is two
 * levels, `[[a.b]]` three with the array), dotted keys (`a.b.c = 1`), arrays and inline tables.
 * A container at key path length `limit + 1` is what `sanitize` would refuse.
 */
function tomlTooDeep(text: string, limit: number): number {
  const n = text.length
  // Open arrays and inline tables: the key path length of each, negative for arrays.
  const open: number[] = []
  let table = 0 // key path length of the current [table]
  let mode: 'line' | 'key' | 'value' | 'after' = 'line'
  let base = 0 // where the key being read starts
  let segments = 0
  let level = 0 // key path length of the value about to be read
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === C.Space || c === C.Tab || c === C.Return) continue
    if (c === C.Newline) {
      if (open.length === 0) mode = 'line'
      continue
    }
    if (c === C.Hash) {
      i = lineEnd(text, i) - 1
      continue
    }
    if (mode === 'line' && c === C.OpenBracket) {
      const arrayTable = text.charCodeAt(i + 1) === C.OpenBracket
      let dots = 0
      let j = i + (arrayTable ? 2 : 1)
      for (; j < n; j++) {
        const d = text.charCodeAt(j)
        if (d === C.DoubleQuote || d === C.SingleQuote) j = skipTomlString(text, j)
        else if (d === C.Dot) dots++
        else if (d === C.CloseBracket || d === C.Newline) break
      }
      table = dots + 1 + (arrayTable ? 1 : 0)
      if (table > limit) return i
      i = j + (arrayTable && text.charCodeAt(j + 1) === C.CloseBracket ? 1 : 0)
      mode = 'after'
      continue
    }
    if (mode === 'line') {
      mode = 'key'
      base = table
      segments = 1
    }
    if (mode === 'key') {
      if (c === C.DoubleQuote || c === C.SingleQuote) i = skipTomlString(text, i)
      else if (c === C.Dot) {
        // `a.b.c = 1` defines the tables a and a.b: containers at base + 1 .. base + segments.
        if (base + ++segments - 1 > limit) return i
      } else if (c === C.Equals) {
        mode = 'value'
        level = base + segments
      } else if (c === C.CloseBrace) {
        open.pop()
        mode = 'after'
      }
      continue
    }
    if (mode === 'value') {
      if (c === C.OpenBracket || c === C.OpenBrace) {
        if (level > limit) return i
        if (c === C.OpenBracket) {
          open.push(-level)
          level += 1
        } else {
          open.push(level)
          mode = 'key'
          base = level
          segments = 1
        }
        continue
      }
      if (c === C.CloseBracket) {
        // `[]` or a trailing comma: the array ends where a value could start.
        open.pop()
        mode = 'after'
        continue
      }
      if (c === C.DoubleQuote || c === C.SingleQuote) i = skipTomlString(text, i)
      else while (i + 1 < n && !isTomlValueEnd(text.charCodeAt(i + 1))) i++
      mode = 'after'
      continue
    }
    // After a value: a comma starts the next element or key, a bracket closes a container.
    const top = open[open.length - 1]
    if (c === C.Comma && top !== undefined) {
      if (top < 0) {
        mode = 'value'
        level = -top + 1
      } else {
        mode = 'key'
        base = top
        segments = 1
      }
    } else if (c === C.CloseBracket || c === C.CloseBrace) {
      open.pop()
    }
  }
  return -1
}

function isTomlValueEnd(c: number): boolean {
  return c === C.Comma || c === C.CloseBracket || c === C.CloseBrace || c === C.Newline || c === C.Hash || c === C.Space || c === C.Tab || c === C.Return
}

/** Index of the last character of the TOML string starting at `i` (basic, literal, multi-line). */
function skipTomlString(text: string, i: number): number {
  const quote = text.charCodeAt(i)
  const basic = quote === C.DoubleQuote
  if (text.charCodeAt(i + 1) === quote && text.charCodeAt(i + 2) === quote) {
    const close = basic ? '"""' : "'''"
    for (let j = i + 3; j < text.length; j++) {
      if (basic && text.charCodeAt(j) === C.Backslash) j++
      else if (text.startsWith(close, j)) return j + 2
    }
    return text.length
  }
  // `""` is an empty string, not the start of a multi-line one.
  for (let j = i + 1; j < text.length; j++) {
    const d = text.charCodeAt(j)
    if (basic && d === C.Backslash) j++
    else if (d === quote) return j
    else if (d === C.Newline) return j - 1
  }
  return text.length
}

/**
 * YAML: block collections are counted with a stack of indentation columns, the way the YAML
 * grammar nests them (a line indented further opens a level, `- - x` opens one per indicator,
 * a sequence may sit at its parent key's column); flow collections with their brackets. Block
 * scalar content, quoted scalars and comments are skipped. A scalar after `-` or `?` counts as
 * a level, hence the slack of one level in the limit.
 */
function yamlTooDeep(text: string, limit: number): number {
  const n = text.length
  const cols: number[] = [] // column of each open block level
  const seqs: boolean[] = [] // whether it was opened by `-`
  let flow = 0
  let blockScalarIndent: number | undefined
  let i = 0

  const openBlock = (col: number, seq: boolean): boolean => {
    // A `-` at its parent key's column is that key's value; anything else at a column closes
    // the levels at or right of it.
    for (let top = cols.length - 1; top >= 0; top--) {
      const c = cols[top] as number
      if (c > col || (c === col && (!seq || seqs[top]))) {
        cols.pop()
        seqs.pop()
      } else break
    }
    cols.push(col)
    seqs.push(seq)
    return cols.length + flow > limit
  }

  while (i < n) {
    // At the start of a line: its indentation, and whether it belongs to a block scalar.
    const lineStart = i
    while (i < n && text.charCodeAt(i) === C.Space) i++
    const col = i - lineStart
    const first = text.charCodeAt(i)
    const blank = i >= n || first === C.Newline || first === C.Return
    if (blockScalarIndent !== undefined && (blank || col > blockScalarIndent)) {
      i = lineEnd(text, i) + 1
      continue
    }
    blockScalarIndent = undefined
    if (flow === 0 && col === 0 && (text.startsWith('---', i) || text.startsWith('...', i)) && isBreak(text.charCodeAt(i + 3))) {
      cols.length = 0
      seqs.length = 0
      i += 3
    } else if (flow === 0 && col === 0 && first === C.Percent) {
      i = lineEnd(text, i) + 1
      continue
    }

    // The rest of the line: `node` is true where a block node may start.
    let node = flow === 0
    let prev = C.OpenBracket // last significant character in flow context
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === C.Newline) {
        i++
        break
      }
      if (c === C.Space || c === C.Tab || c === C.Return) {
        i++
        continue
      }
      if (c === C.Hash && (i === lineStart || isSpace(text.charCodeAt(i - 1)))) {
        i = lineEnd(text, i)
        continue
      }
      if (flow > 0) {
        if (c === C.OpenBracket || c === C.OpenBrace) {
          if (cols.length + ++flow > limit) return i
        } else if (c === C.CloseBracket || c === C.CloseBrace) {
          flow--
        } else if ((c === C.DoubleQuote || c === C.SingleQuote) && isFlowNodeStart(prev)) {
          i = skipYamlQuoted(text, i)
        }
        prev = c
        i++
        continue
      }
      const at = i - lineStart
      if (!node && c === C.Colon && isBreak(text.charCodeAt(i + 1))) {
        // The value indicator after a quoted key, an alias key or a flow key: a value follows.
        i++
        continue
      }
      if (node && (c === C.Dash || c === C.Question || c === C.Colon) && isBreak(text.charCodeAt(i + 1))) {
        if (openBlock(at, c === C.Dash)) return i
        i++
        continue
      }
      if (c === C.Ampersand || c === C.Bang) {
        // An anchor or tag: the node it belongs to comes after it.
        while (i < n && !isBreak(text.charCodeAt(i))) i++
        continue
      }
      if (c === C.OpenBracket || c === C.OpenBrace) {
        flow = 1
        prev = c
        if (cols.length + flow > limit) return i
        i++
        continue
      }
      if (c === C.Pipe || c === C.Greater) {
        // A block scalar: the following lines indented past its parent's column are its text.
        blockScalarIndent = cols.length > 0 ? (cols[cols.length - 1] as number) : -1
        i = lineEnd(text, i)
        continue
      }
      if (node && openBlock(at, false)) return i
      node = false
      if (c === C.DoubleQuote || c === C.SingleQuote) {
        i = skipYamlQuoted(text, i) + 1
        continue
      }
      if (c === C.Star) {
        while (i < n && !isBreak(text.charCodeAt(i))) i++
        continue
      }
      // A plain scalar runs to `: `, ` #` or the end of the line; after `: ` a value may start.
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i)
        if (d === C.Newline || (d === C.Colon && isBreak(text.charCodeAt(i + 1))) || (d === C.Hash && isSpace(text.charCodeAt(i - 1)))) break
      }
      if (text.charCodeAt(i) === C.Colon) i++
    }
  }
  return -1
}

/** Index of the closing quote of the YAML quoted scalar at `i`, which may span lines. */
function skipYamlQuoted(text: string, i: number): number {
  const quote = text.charCodeAt(i)
  for (let j = i + 1; j < text.length; j++) {
    const d = text.charCodeAt(j)
    if (quote === C.DoubleQuote && d === C.Backslash) j++
    else if (d === quote) {
      // '' inside a single-quoted scalar is one quote.
      if (quote === C.SingleQuote && text.charCodeAt(j + 1) === C.SingleQuote) j++
      else return j
    }
  }
  return text.length
}

function isFlowNodeStart(prev: number): boolean {
  return prev === C.OpenBracket || prev === C.OpenBrace || prev === C.Comma || prev === C.Colon || prev === C.Question
}

function isSpace(c: number): boolean {
  return c === C.Space || c === C.Tab
}

/** Whitespace, a line break or the end of the text (NaN). */
function isBreak(c: number): boolean {
  return c === C.Space || c === C.Tab || c === C.Newline || c === C.Return || Number.isNaN(c)
}

function lineEnd(text: string, i: number): number {
  const end = text.indexOf('\n', i)
  return end < 0 ? text.length : end
}
