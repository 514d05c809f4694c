import { checkOptions } from '@hotreload/core'
import { Type } from '@sinclair/typebox'
import type { AssetsPluginOptions } from './types.js'

/** Options with defaults applied; paths still relative to the (not yet known) root. */
export interface ResolvedAssetsOptions {
  readonly name: string
  /** `dir` with `/` separators and no trailing slash; `''` for the root itself. */
  readonly dir: string
  /** Root-relative globs. */
  readonly files: readonly string[]
  readonly manifestPath: string
  readonly outDir: string | undefined
  readonly keepVersions: number
  /** Always ends with `/`. */
  readonly publicPath: string
  readonly hashLength: number
}

const Text = Type.String({ minLength: 1 })

const OptionsSchema = Type.Object(
  {
    name: Type.Optional(Text),
    dir: Type.Optional(Text),
    files: Type.Optional(Type.Union([Text, Type.Array(Text, { minItems: 1 })])),
    manifestPath: Type.Optional(Text),
    outDir: Type.Optional(Text),
    keepVersions: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    publicPath: Type.Optional(Text),
    hashLength: Type.Optional(Type.Integer({ minimum: 4, maximum: 64 })),
  },
  { additionalProperties: false },
)

/**
 * Checks `assetsPlugin()`'s options and fills in defaults. Throws the core's `OptionsError`
 * naming every unknown option (with a did-you-mean: `outputDir` is now `outDir`) and every wrong
 * type at once. Never mutates `options`.
 */
export function resolveAssetsOptions(options: AssetsPluginOptions): ResolvedAssetsOptions {
  const checked = checkOptions(OptionsSchema, options, {
    source: 'assetsPlugin()',
    ...(typeof options === 'object' && options !== null && typeof options.name === 'string' && options.name ? { plugin: options.name } : { plugin: 'assets' }),
    hint: '`files` globs are relative to the root, e.g. "static/**/*.css".',
  })
  const name = checked.name ?? 'assets'
  const rawDir = (checked.dir ?? 'static').replaceAll('\\', '/').replace(/^\.\//, '').replace(/\/+$/, '')
  const dir = rawDir === '.' ? '' : rawDir
  const files = checked.files === undefined ? [dir === '' ? '**/*' : `${dir}/**/*`] : typeof checked.files === 'string' ? [checked.files] : [...checked.files]
  const publicPath = checked.publicPath ?? '/'
  return Object.freeze({
    name,
    dir,
    files: Object.freeze(files.map((glob) => glob.replaceAll('\\', '/').replace(/^\.\//, ''))),
    manifestPath: checked.manifestPath ?? '.hotreload/assets-manifest.json',
    outDir: checked.outDir,
    keepVersions: checked.keepVersions ?? 3,
    publicPath: publicPath.endsWith('/') ? publicPath : `${publicPath}/`,
    hashLength: checked.hashLength ?? 8,
  })
}
