import { access } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { createJiti } from 'jiti'
import { ConfigFileError, HotReloadError } from './errors.js'
import type { HotReloadOptions } from './options.js'

/** File names `findConfigFile` looks for, in order. */
export const CONFIG_FILE_NAMES: readonly string[] = Object.freeze([
  'hotreload.config.ts',
  'hotreload.config.mts',
  'hotreload.config.js',
  'hotreload.config.mjs',
])

/**
 * Identity function that gives a `hotreload.config.ts` its types:
 * `export default defineConfig({ plugins: [...] })`.
 */
export function defineConfig(options: HotReloadOptions): HotReloadOptions {
  return options
}

/** Looks for a config file in `dir`; resolves with its absolute path, or undefined. */
export async function findConfigFile(dir: string): Promise<string | undefined> {
  for (const name of CONFIG_FILE_NAMES) {
    const candidate = resolve(dir, name)
    try {
      await access(candidate)
      return candidate
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  return undefined
}

/**
 * Loads a `hotreload.config.ts` (or .mts/.js/.mjs) with jiti, so TypeScript config files work
 * without a build step. Resolves with its default export (an object, or a function returning
 * one, possibly async). A relative `root` in it is resolved against the config file's directory.
 * Throws `ConfigFileError` naming the file when it is missing, fails to compile or run, or
 * exports something that is not an options object.
 */
export async function loadConfigFile(path: string): Promise<HotReloadOptions> {
  const file = resolve(path)
  try {
    await access(file)
  } catch {
    throw new ConfigFileError(`config file not found: ${file}`, {
      path: file,
      hint: `Create ${CONFIG_FILE_NAMES[0]} exporting defineConfig({...}), or pass --config <file>.`,
    })
  }
  const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false, interopDefault: true })
  let loaded: unknown
  try {
    loaded = await jiti.import(file, { default: true })
    if (typeof loaded === 'function') loaded = await (loaded as () => unknown)()
  } catch (error) {
    if (error instanceof HotReloadError) throw error
    const position = locate(error, file)
    throw new ConfigFileError(`could not load config file: ${error instanceof Error ? error.message : String(error)}`, {
      path: file,
      ...position,
      hint: 'Fix the error in the config file; it must `export default defineConfig({...})`.',
      cause: error,
    })
  }
  if (typeof loaded !== 'object' || loaded === null || Array.isArray(loaded)) {
    throw new ConfigFileError(`the default export must be an options object, got ${loaded === null ? 'null' : Array.isArray(loaded) ? 'an array' : typeof loaded}`, {
      path: file,
      hint: 'Write `export default defineConfig({ plugins: [...] })`.',
    })
  }
  const options = { ...(loaded as HotReloadOptions) }
  options.root = resolve(dirname(file), options.root ?? '.')
  return options
}

// Syntax errors from the transpiler carry a position; runtime errors point into the stack.
function locate(error: unknown, file: string): { line?: number; column?: number } {
  const e = error as { loc?: { line?: number; column?: number }; stack?: string }
  if (e?.loc?.line !== undefined) return { line: e.loc.line, ...(e.loc.column !== undefined ? { column: e.loc.column + 1 } : {}) }
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const m = e?.stack ? new RegExp(`${escaped}:(\\d+):(\\d+)`).exec(e.stack) : null
  return m ? { line: Number(m[1]), column: Number(m[2]) } : {}
}
