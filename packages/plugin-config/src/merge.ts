import { isPlainRecord, pathId, type KeyPath } from './key-path.js'
import type { ParsedSource, Position } from './parse.js'

/** One file's contribution to a config: the base file, then the overlay for the active environment. */
export interface ConfigLayer {
  /** Root-relative path of the file. */
  readonly path: string
  readonly source: ParsedSource
  /** The sanitized value of the file. */
  readonly value: Record<string, unknown>
}

/**
 * Deep-merges the layers in order, later over earlier: objects merge key by key, arrays and
 * every other value replace what was there (an overlay listing two servers means two servers).
 * Returns new objects throughout; the layers' values are not touched.
 */
export function mergeLayers(layers: readonly ConfigLayer[]): Record<string, unknown> {
  let merged: Record<string, unknown> = {}
  for (const layer of layers) merged = mergeValue(merged, layer.value) as Record<string, unknown>
  return merged
}

function mergeValue(base: unknown, over: unknown): unknown {
  if (isPlainRecord(base) && isPlainRecord(over)) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(base)) out[key] = copy(base[key])
    for (const key of Object.keys(over)) out[key] = key in out ? mergeValue(out[key], over[key]) : copy(over[key])
    return out
  }
  return copy(over)
}

function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy)
  if (isPlainRecord(value)) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) out[key] = copy(value[key])
    return out
  }
  return value
}

/**
 * The file and position that supplied the value at `keyPath` in the merged config: the deepest
 * written ancestor-or-self, looked up in the overlay before the base, since the overlay's
 * value is the one that won. Without positions, the last layer's file at line 1.
 */
export function locateInLayers(layers: readonly ConfigLayer[], keyPath: KeyPath): { path: string; position?: Position } | undefined {
  for (let n = keyPath.length; n >= 0; n--) {
    const id = pathId(keyPath.slice(0, n))
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i]
      const position = layer?.source.valuePositions.get(id)
      if (layer && position) return { path: layer.path, position }
    }
  }
  const last = layers[layers.length - 1]
  return last ? { path: last.path } : undefined
}
