import type { ConfigError } from '../errors.js'
import { pathId, type KeyPath } from '../key-path.js'

/** The file formats the plugin reads. */
export type ConfigFormat = 'json' | 'yaml' | 'toml'

/** A 1-based line and column in a source file. */
export interface Position {
  readonly line: number
  readonly column: number
}

/**
 * A parsed file: its raw value (objects may have a null prototype or own `__proto__` keys
 * until `sanitize` has checked them) and where each value and key is written.
 */
export interface ParsedSource {
  readonly format: ConfigFormat
  readonly value: unknown
  /** Position of the value at each key path, by `pathId`. */
  readonly valuePositions: ReadonlyMap<string, Position>
  /** Position of the key naming each key path, by `pathId`. */
  readonly keyPositions: ReadonlyMap<string, Position>
}

export type ParseResult = { readonly ok: true; readonly source: ParsedSource } | { readonly ok: false; readonly errors: readonly ConfigError[] }

export interface ParseOptions {
  /** Root-relative path, named in every error. */
  readonly path: string
  /** Most YAML alias expansions allowed before the file is refused as an alias bomb. */
  readonly maxAliasCount: number
}

/** The 1-based line:column of one offset, counted without building an index of the whole text. */
export function positionAt(text: string, offset: number): Position {
  let line = 1
  let lineStart = 0
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    lineStart = i + 1
  }
  return { line, column: offset - lineStart + 1 }
}

/** Maps string offsets to 1-based line:column, for parsers that only report offsets. */
export class LineIndex {
  private readonly starts: number[] = [0]
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1)
  }

  position(offset: number): Position {
    let lo = 0
    let hi = this.starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((this.starts[mid] ?? 0) <= offset) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 }
  }
}

/** Collects where values and keys are written while a format walks its syntax tree. */
export class PositionTable {
  readonly values = new Map<string, Position>()
  readonly keys = new Map<string, Position>()

  /** Records the first place a path is written: TOML may reopen a table, the header counts. */
  value(path: KeyPath, position: Position): void {
    const id = pathId(path)
    if (!this.values.has(id)) this.values.set(id, position)
  }

  key(path: KeyPath, position: Position): void {
    const id = pathId(path)
    if (!this.keys.has(id)) this.keys.set(id, position)
  }
}
