import type { ConfigError } from './errors.js'
import { checkJsonNesting, checkNesting, MAX_DEPTH } from './formats/depth.js'
import { parseJson } from './formats/json.js'
import { parseToml } from './formats/toml.js'
import { decodeUtf8 } from './formats/utf8.js'
import { parseYaml } from './formats/yaml.js'
import type { ConfigFormat, ParseOptions, ParseResult, ParsedSource, Position } from './formats/source.js'
import { pathId, type KeyPath } from './key-path.js'

export type { ConfigFormat, ParseOptions, ParseResult, ParsedSource, Position } from './formats/source.js'

/** The file formats the plugin reads, by extension. */
export const FORMAT_BY_EXTENSION = Object.freeze({
  json: 'json',
  yaml: 'yaml',
  yml: 'yaml',
  toml: 'toml',
} as const satisfies Record<string, ConfigFormat>)

/** The format for a file name, or undefined when the extension is not one the plugin reads. */
export function formatOf(fileName: string): ConfigFormat | undefined {
  const dot = fileName.lastIndexOf('.')
  if (dot < 0) return undefined
  const ext = fileName.slice(dot + 1).toLowerCase()
  return Object.hasOwn(FORMAT_BY_EXTENSION, ext) ? FORMAT_BY_EXTENSION[ext as keyof typeof FORMAT_BY_EXTENSION] : undefined
}

/**
 * Parses a file's bytes as `format`: refuses bytes that are not UTF-8 at the first bad one,
 * then parses the text as `parseSource` does.
 */
export function parseFile(bytes: Uint8Array, format: ConfigFormat, options: ParseOptions): ParseResult {
  const decoded = decodeUtf8(bytes, options.path)
  if (!decoded.ok) return { ok: false, errors: [decoded.error] }
  return parseSource(decoded.text, format, options)
}

/**
 * Parses `text` as `format`, collecting every error the parser reports (syntax with its
 * line:column, duplicate keys, YAML alias bombs) instead of stopping at the first. Nesting
 * deeper than `MAX_DEPTH` is refused by a scan of the text before the parser builds anything.
 */
export function parseSource(text: string, format: ConfigFormat, options: ParseOptions): ParseResult {
  if (format === 'json') {
    // One pass for the depth and the strict parser's key count.
    const scanned = checkJsonNesting(text, options.path, MAX_DEPTH)
    if (scanned.error) return { ok: false, errors: [scanned.error] }
    return parseJson(text, options, scanned.colons)
  }
  const tooDeep: ConfigError | undefined = checkNesting(text, format, options.path, MAX_DEPTH)
  if (tooDeep) return { ok: false, errors: [tooDeep] }
  switch (format) {
    case 'yaml':
      return parseYaml(text, options)
    case 'toml':
      return parseToml(text, options)
  }
}

/**
 * Where the value at `path` is written: the position of the path itself or, for a value the
 * file does not contain (a missing required key), of its nearest ancestor.
 */
export function locate(source: ParsedSource, path: KeyPath): { position: Position; exact: boolean } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const position = source.valuePositions.get(pathId(path.slice(0, n)))
    if (position) return { position, exact: n === path.length }
  }
  return undefined
}
