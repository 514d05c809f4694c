import { AssetsOptionsError } from './errors.js'
import type { AssetsPluginOptions } from './types.js'

/** Options with defaults applied; paths still relative to the (not yet known) root. */
export interface ResolvedAssetsOptions {
  readonly name: string
  /** `dir` with `/` separators and no trailing slash; `''` for the root itself. */
  readonly dir: string
  readonly files: readonly string[]
  readonly manifestPath: string
  readonly outputDir: string | undefined
  readonly keepVersions: number
  /** Always ends with `/`. */
  readonly publicPath: string
  readonly hashLength: number
}

const KNOWN = ['name', 'dir', 'files', 'manifestPath', 'outputDir', 'keepVersions', 'publicPath', 'hashLength']

/** Checks `assetsPlugin()`'s options and fills in defaults. Throws `AssetsOptionsError` naming every bad option. */
export function resolveAssetsOptions(options: AssetsPluginOptions): ResolvedAssetsOptions {
  if (typeof options !== 'object' || options === null) {
    throw new AssetsOptionsError(`assetsPlugin(): options must be an object, got ${options === null ? 'null' : typeof options}`)
  }
  const problems: string[] = []
  for (const key of Object.keys(options)) if (!KNOWN.includes(key)) problems.push(`unknown option "${key}"`)
  const str = (key: keyof AssetsPluginOptions, fallback: string): string => {
    const value = options[key]
    if (value === undefined) return fallback
    if (typeof value !== 'string' || value.length === 0) {
      problems.push(`option "${key}" must be a non-empty string`)
      return fallback
    }
    return value
  }
  const int = (key: keyof AssetsPluginOptions, fallback: number, min: number, max: number): number => {
    const value = options[key]
    if (value === undefined) return fallback
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`option "${key}" must be an integer from ${min} to ${max}`)
      return fallback
    }
    return value
  }
  const name = str('name', 'assets')
  const rawDir = str('dir', 'static').replaceAll('\\', '/').replace(/^\.\//, '').replace(/\/+$/, '')
  const dir = rawDir === '.' ? '' : rawDir
  const manifestPath = str('manifestPath', '.hotreload/assets-manifest.json')
  const outputDir = options.outputDir === undefined ? undefined : str('outputDir', '')
  const publicPath = str('publicPath', '/')
  const keepVersions = int('keepVersions', 3, 1, 1000)
  const hashLength = int('hashLength', 8, 4, 64)
  let files: string[] = ['**/*']
  if (options.files !== undefined) {
    const list = typeof options.files === 'string' ? [options.files] : options.files
    if (!Array.isArray(list) || list.length === 0 || !list.every((g) => typeof g === 'string' && g.length > 0)) {
      problems.push('option "files" must be a glob or a non-empty array of globs')
    } else {
      files = [...list]
    }
  }
  if (problems.length > 0) {
    throw new AssetsOptionsError(`assetsPlugin(): ${problems.join('; ')}`, {
      plugin: name,
      hint: `Valid options: ${KNOWN.join(', ')}.`,
    })
  }
  return Object.freeze({
    name,
    dir,
    files: Object.freeze(files),
    manifestPath,
    outputDir,
    keepVersions,
    publicPath: publicPath.endsWith('/') ? publicPath : `${publicPath}/`,
    hashLength,
  })
}
