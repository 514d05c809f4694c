/**
 * A problem found while validating: it rejects the transaction. `line`/`column` are 1-based and
 * present when the parser or compiler knows them; `hint` says how to fix it.
 */
export interface Problem {
  readonly plugin: string
  readonly code: string
  readonly message: string
  readonly path?: string
  readonly line?: number
  readonly column?: number
  readonly keyPath?: string
  readonly hint?: string
}

/** An error reduced to plain, serialisable data. */
export interface ErrorInfo {
  readonly code: string
  readonly message: string
  readonly plugin?: string
  readonly path?: string
  readonly hint?: string
}

/** Where in a file an error points; line and column are 1-based. */
export interface ErrorLocation {
  readonly path?: string
  readonly line?: number
  readonly column?: number
}

export interface HotReloadErrorOptions extends ErrorLocation {
  /** How to fix it, in one sentence. */
  readonly hint?: string
  readonly plugin?: string
  readonly keyPath?: string
  readonly cause?: unknown
}

/**
 * Base of every error hotreload and its plugins raise: a fixed `code`, the file and position
 * when known, and a `hint` saying how to fix it. Plugins extend it in their own `errors.ts`.
 */
export class HotReloadError extends Error {
  readonly code: string
  readonly path?: string
  readonly line?: number
  readonly column?: number
  readonly hint?: string
  readonly plugin?: string
  readonly keyPath?: string

  constructor(code: string, message: string, options: HotReloadErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.path = options.path
    this.line = options.line
    this.column = options.column
    this.hint = options.hint
    this.plugin = options.plugin
    this.keyPath = options.keyPath
  }

  /** `path:line:column: message (hint)` as the CLI prints it. */
  override toString(): string {
    return formatLocated(this)
  }
}

/** The `hotreload.config.ts` could not be found, loaded, or had invalid options. */
export class ConfigFileError extends HotReloadError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super('HR_CONFIG_FILE', message, options)
  }
}

/** An option passed to `createHotReload` is unknown or has the wrong type. */
export class OptionsError extends HotReloadError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super('HR_OPTIONS', message, options)
  }
}

/** A plugin object is malformed, or two plugins share a name. */
export class PluginError extends HotReloadError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super('HR_PLUGIN', message, options)
  }
}

/** A transaction stage ran past `stageTimeoutMs`. */
export class StageTimeoutError extends HotReloadError {
  constructor(stage: string, ms: number, plugin?: string) {
    super('HR_STAGE_TIMEOUT', `${stage} did not finish within ${ms} ms${plugin ? ` (in plugin "${plugin}")` : ''}`, {
      plugin,
      hint: `Find what the ${stage} step waits on, or raise stageTimeoutMs.`,
    })
  }
}

/** The file watcher failed (ENOSPC, EACCES, EMFILE, ...). */
export class WatcherError extends HotReloadError {
  constructor(message: string, options: HotReloadErrorOptions = {}, code = 'HR_WATCHER') {
    super(code, message, options)
  }
}

/**
 * A file name that is not valid UTF-8: it cannot be matched, read or reported by its name, so it
 * is not watched. `path` is the directory holding it; the message shows its bytes escaped.
 */
export class FileNameError extends WatcherError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(message, options, 'HR_FILE_NAME')
  }
}

/** The instance was used after `close()`. */
export class ClosedError extends HotReloadError {
  constructor(what: string) {
    super('HR_CLOSED', `${what} was called after close()`, { hint: 'Create a new instance with createHotReload().' })
  }
}

/** `path:line:column: message` with the hint on its own clause, for people. */
export function formatLocated(e: {
  message: string
  path?: string
  line?: number
  column?: number
  hint?: string
}): string {
  let where = e.path ?? ''
  if (where && e.line !== undefined) where += `:${e.line}${e.column !== undefined ? `:${e.column}` : ''}`
  const hint = e.hint ? ` (${e.hint})` : ''
  return `${where ? `${where}: ` : ''}${e.message}${hint}`
}

/** Reduces anything thrown to serialisable `ErrorInfo`. */
export function toErrorInfo(error: unknown, fallback: { plugin?: string; code?: string } = {}): ErrorInfo {
  if (error instanceof HotReloadError) {
    return dropUndefined({
      code: error.code,
      message: error.message,
      plugin: error.plugin ?? fallback.plugin,
      path: error.path,
      hint: error.hint,
    })
  }
  const err = error instanceof Error ? error : new Error(String(error))
  const sysCode = (err as NodeJS.ErrnoException).code
  return dropUndefined({
    code: fallback.code ?? (typeof sysCode === 'string' ? sysCode : 'HR_UNEXPECTED'),
    message: err.message,
    plugin: fallback.plugin,
  })
}

/** Turns anything a validate step threw into a Problem attributed to `plugin`. */
export function toProblem(error: unknown, plugin: string, path?: string): Problem {
  if (error instanceof HotReloadError) {
    return dropUndefined({
      plugin: error.plugin ?? plugin,
      code: error.code,
      message: error.message,
      path: error.path ?? path,
      line: error.line,
      column: error.column,
      keyPath: error.keyPath,
      hint: error.hint,
    })
  }
  const message = error instanceof Error ? error.message : String(error)
  return dropUndefined({ plugin, code: 'HR_VALIDATE', message, path })
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k]
  return o
}
