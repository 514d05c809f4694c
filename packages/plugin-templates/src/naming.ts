import { posix } from 'node:path'
import type { TemplateFile } from './types.js'

/** How file paths become template names. */
export interface NamingRules {
  /** Templates directory, root-relative, no trailing slash (e.g. `templates`). */
  readonly dir: string
  /** Partials directory, relative to `dir` (e.g. `partials`). */
  readonly partialsDir: string
  /** The engine's extensions, with the dot. */
  readonly extensions: readonly string[]
}

/**
 * The template a root-relative path defines, or undefined when the extension is not the
 * engine's. `templates/pages/home.hbs` is `pages/home`; `templates/partials/header.hbs` is the
 * partial `header`; a file outside the templates directory keeps its root-relative path.
 */
export function templateFileOf(path: string, absolutePath: string, rules: NamingRules): TemplateFile | undefined {
  // Longest extension first, so `.html.eta` wins over `.eta` if both are configured.
  const extension = [...rules.extensions].sort((a, b) => b.length - a.length).find((ext) => path.endsWith(ext))
  if (extension === undefined || path.length === extension.length) return undefined
  const prefix = rules.dir === '' || rules.dir === '.' ? '' : `${rules.dir}/`
  let relative = prefix && path.startsWith(prefix) ? path.slice(prefix.length) : path
  relative = relative.slice(0, relative.length - extension.length)
  const partialsPrefix = `${rules.partialsDir}/`
  const partial = rules.partialsDir !== '' && relative.startsWith(partialsPrefix) && relative.length > partialsPrefix.length
  const name = partial ? relative.slice(partialsPrefix.length) : relative
  if (name === '' || name.endsWith('/')) return undefined
  return { name, path, absolutePath, partial }
}

/** Normalises a user-given directory to a root-relative posix path without trailing slash. */
export function normaliseDir(dir: string): string {
  const normalised = posix.normalize(dir.replaceAll('\\', '/')).replace(/\/+$/, '')
  return normalised === '.' ? '' : normalised.replace(/^\.\//, '')
}
