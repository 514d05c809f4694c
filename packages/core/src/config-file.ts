import { access, readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { createJiti } from 'jiti'
import { didYouMean } from './option-check.js'
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
 *
 * For tools (the CLI uses it). Every call evaluates the file anew, so its plugins are new
 * objects: an app that also imports handles from its config file (`configs`) passes that
 * module's default export to `createHotReload()` instead.
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
  // Inline source maps plus Node's source-map support for the load: positions in a thrown
  // error's stack are the TypeScript file's, not the transpiled code's (issue 13).
  const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false, interopDefault: true, sourceMaps: true })
  const mapsWereOn = process.sourceMapsEnabled
  process.setSourceMapsEnabled(true)
  let loaded: unknown
  try {
    loaded = await jiti.import(file, { default: true })
    if (typeof loaded === 'function') loaded = await (loaded as () => unknown)()
  } catch (error) {
    if (error instanceof HotReloadError) throw error
    throw await describeLoadError(error, file)
  } finally {
    process.setSourceMapsEnabled(mapsWereOn)
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

const OWN_PACKAGES = ['@hotreload/core', '@hotreload/plugin-config', '@hotreload/plugin-templates', '@hotreload/plugin-assets', '@hotreload/plugin-backup']

/**
 * One `ConfigFileError` for a config file that failed to load: the message without the
 * transpiler's own copy of the position, a 1-based line:column in the TypeScript source, and
 * for a missing package the install command (or the package it was probably meant to be).
 */
async function describeLoadError(error: unknown, file: string): Promise<ConfigFileError> {
  const e = error as { code?: string; message?: string; stack?: string; loc?: { line?: number; column?: number } }
  const message = e?.message ?? String(error)
  const missing = e?.code === 'MODULE_NOT_FOUND' || e?.code === 'ERR_MODULE_NOT_FOUND' ? /Cannot find (?:module|package) '([^']+)'/.exec(message)?.[1] : undefined
  if (missing !== undefined) return missingModule(missing, message, file, error)

  // jiti reports a syntax error as "ParseError: <what>  \n <file>:<line>:<column>", 0-based column.
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const parsed = new RegExp(`^(?:\\w*Error: )?(.*?)\\s*\\n\\s*${escaped}:(\\d+):(\\d+)\\s*$`, 's').exec(message)
  if (parsed) {
    return new ConfigFileError(`syntax error: ${parsed[1]?.trim()}`, {
      path: file,
      line: Number(parsed[2]),
      column: Number(parsed[3]) + 1,
      hint: 'Fix the syntax at that position.',
      cause: error,
    })
  }
  if (e?.loc?.line !== undefined) {
    return new ConfigFileError(`syntax error: ${message}`, { path: file, line: e.loc.line, column: (e.loc.column ?? 0) + 1, hint: 'Fix the syntax at that position.', cause: error })
  }
  // A runtime error: its first stack frame in the config file (source-mapped, 1-based).
  const frame = e?.stack ? new RegExp(`${escaped}:(\\d+):(\\d+)`).exec(e.stack) : null
  return new ConfigFileError(`the config file threw: ${message}`, {
    path: file,
    ...(frame ? { line: Number(frame[1]), column: Number(frame[2]) } : {}),
    hint: 'Fix the error in the config file; it must `export default defineConfig({...})`.',
    cause: error,
  })
}

async function missingModule(specifier: string, message: string, file: string, cause: unknown): Promise<ConfigFileError> {
  // "Require stack:\n- <importer>": the file whose import failed.
  const importer = /Require stack:\n- (.+)/.exec(message)?.[1]?.trim() ?? file
  const position = importer === file ? await findImport(file, specifier) : undefined
  const where = importer === file ? 'the config file imports' : `${importer} imports`
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    return new ConfigFileError(`${where} "${specifier}", which does not exist`, { path: file, ...position, hint: 'Check the path and its extension.', cause })
  }
  const name = packageName(specifier)
  const candidate = didYouMean(name, [...OWN_PACKAGES, ...(await dependencies(file))])
  const near = candidate === name ? undefined : candidate
  return new ConfigFileError(`${where} "${specifier}", which is not installed`, {
    path: file,
    ...position,
    hint: near ? `Did you mean "${near}"? Otherwise run \`npm install ${name}\`.` : `Run \`npm install ${name}\`.`,
    cause,
  })
}

// `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`.
function packageName(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier)
}

// The 1-based position of the specifier's string in the config file's source.
async function findImport(file: string, specifier: string): Promise<{ line: number; column: number } | undefined> {
  const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n')
  for (const [i, line] of lines.entries()) {
    const column = Math.max(line.indexOf(`'${specifier}'`), line.indexOf(`"${specifier}"`))
    if (column >= 0) return { line: i + 1, column: column + 1 }
  }
  return undefined
}

// The dependency names of the package.json nearest to the config file, for "did you mean".
async function dependencies(file: string): Promise<string[]> {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(await readFile(resolve(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>
      return [...Object.keys(pkg['dependencies'] ?? {}), ...Object.keys(pkg['devDependencies'] ?? {})]
    } catch {
      if (dirname(dir) === dir) return []
    }
  }
}
