import picomatch from 'picomatch'
import { ConfigFormatError, ConfigNameError, CONFIG_ERROR_CODES, type ConfigError } from './errors.js'
import { FORMAT_BY_EXTENSION, formatOf, type ConfigFormat } from './parse.js'

const MAX_CACHED_ANSWERS = 50_000

/** What a file's path says about it: which config it belongs to, for which environment, in which format. */
export interface ConfigFileRole {
  /** The config name: the path below the glob's base directory without extension, e.g. `app`, `services/db`. */
  readonly name: string
  /** For an overlay (`database.production.yaml`): the environment it applies in. */
  readonly env?: string
  readonly format: ConfigFormat
}

/**
 * Names config files from the `files` globs: `config/app.toml` is `app`, `config/database.production.yaml`
 * is the `production` overlay of `database`, `config/services/db.yaml` is `services/db`. The base
 * directory of the first glob that matches a path is stripped.
 */
export class ConfigNamer {
  private readonly globs: { readonly base: string; readonly test: (path: string) => boolean }[]
  // Which glob each path matches, -1 for none: the same files are saved again and again, and
  // picomatch ran twice per save for one file (the claim filter, then the name).
  private readonly answers = new Map<string, number>()
  // The roles of usable names, for the same reason (a refused name is worded anew each time).
  private readonly roles = new Map<string, { readonly ok: true; readonly role: ConfigFileRole }>()

  constructor(globs: readonly string[]) {
    this.globs = globs.map((glob) => ({ base: picomatch.scan(glob).base, test: picomatch(glob, { dot: false }) }))
  }

  /** True if a root-relative path is one of this plugin's files. */
  matches(path: string): boolean {
    return this.globIndex(path) >= 0
  }

  private globIndex(path: string): number {
    let index = this.answers.get(path)
    if (index === undefined) {
      index = this.globs.findIndex((g) => g.test(path))
      // Enough for every config file of a large tree; past it the cache starts again, so a
      // process that sees ever-new paths does not grow without bound.
      if (this.answers.size >= MAX_CACHED_ANSWERS) this.answers.clear()
      this.answers.set(path, index)
    }
    return index
  }

  /** The file to create for config `name`: its JSON file below the first glob's base directory. */
  suggestFile(name: string): string {
    const base = this.globs[0]?.base
    return `${base ? `${base}/` : ''}${name}.json`
  }

  /** The role of a matching path, or the error explaining why its name or extension is not usable. */
  resolve(path: string): { ok: true; role: ConfigFileRole } | { ok: false; error: ConfigError } {
    const known = this.roles.get(path)
    if (known) return known
    const resolved = this.resolveAnew(path)
    if (resolved.ok) {
      if (this.roles.size >= MAX_CACHED_ANSWERS) this.roles.clear()
      this.roles.set(path, resolved)
    }
    return resolved
  }

  private resolveAnew(path: string): { ok: true; role: ConfigFileRole } | { ok: false; error: ConfigError } {
    const glob = this.globs[this.globIndex(path)]
    const rel = glob && glob.base && path.startsWith(`${glob.base}/`) ? path.slice(glob.base.length + 1) : path
    const slash = rel.lastIndexOf('/')
    const dir = slash >= 0 ? rel.slice(0, slash + 1) : ''
    const file = rel.slice(slash + 1)
    const format = formatOf(file)
    if (!format) {
      return {
        ok: false,
        error: new ConfigFormatError(`unknown config file type "${file}"`, {
          path,
          hint: `Config files end in .${Object.keys(FORMAT_BY_EXTENSION).join(', .')}; rename it or exclude it from the plugin's files globs.`,
        }),
      }
    }
    const parts = file.split('.').slice(0, -1)
    if (parts.length < 1 || parts.length > 2 || parts.some((p) => p === '')) {
      return {
        ok: false,
        error: new ConfigNameError(CONFIG_ERROR_CODES.name, `cannot tell which config "${file}" is`, {
          path,
          hint: 'Name config files <name>.<ext> (app.yaml) or <name>.<env>.<ext> for an environment overlay (app.production.yaml).',
        }),
      }
    }
    const [stem = '', env] = parts
    return { ok: true, role: Object.freeze(env === undefined ? { name: dir + stem, format } : { name: dir + stem, env, format }) }
  }
}
