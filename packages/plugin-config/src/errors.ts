import { HotReloadError, type HotReloadErrorOptions } from '@hotreload/core'

/**
 * Codes of every problem this plugin reports. Stable: programs reading `--json` output and
 * `rejected` events may switch on them.
 */
export const CONFIG_ERROR_CODES = Object.freeze({
  parse: 'HR_CONFIG_PARSE',
  format: 'HR_CONFIG_FORMAT',
  name: 'HR_CONFIG_NAME',
  conflict: 'HR_CONFIG_CONFLICT',
  notObject: 'HR_CONFIG_NOT_OBJECT',
  schema: 'HR_CONFIG_SCHEMA',
  unsafeKey: 'HR_CONFIG_UNSAFE_KEY',
  duplicateKey: 'HR_CONFIG_DUPLICATE_KEY',
  aliases: 'HR_CONFIG_ALIASES',
  tooLarge: 'HR_CONFIG_TOO_LARGE',
  unsupportedValue: 'HR_CONFIG_UNSUPPORTED_VALUE',
  restartRequired: 'HR_CONFIG_RESTART_REQUIRED',
  requiredDeleted: 'HR_CONFIG_REQUIRED_DELETED',
  missing: 'HR_CONFIG_MISSING',
  notLoaded: 'HR_CONFIG_NOT_LOADED',
  notApplied: 'HR_CONFIG_NOT_APPLIED',
  closed: 'HR_CONFIG_CLOSED',
  options: 'HR_CONFIG_OPTIONS',
  read: 'HR_CONFIG_READ',
} as const)

/** One of the codes in `CONFIG_ERROR_CODES`. */
export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[keyof typeof CONFIG_ERROR_CODES]

/**
 * Base of every error the config plugin raises or turns into a problem. `plugin` is filled in
 * by the plugin when it reports the problem, so one class serves every plugin instance name.
 */
export class ConfigError extends HotReloadError {
  declare readonly code: ConfigErrorCode
  constructor(code: ConfigErrorCode, message: string, options: HotReloadErrorOptions = {}) {
    super(code, message, options)
  }
}

/** A file is not valid JSON, YAML or TOML; line and column come from the parser. */
export class ConfigParseError extends ConfigError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(CONFIG_ERROR_CODES.parse, message, options)
  }
}

/** A watched file has an extension the plugin cannot read. */
export class ConfigFormatError extends ConfigError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(CONFIG_ERROR_CODES.format, message, options)
  }
}

/** A file name does not follow `<name>.<ext>` or `<name>.<env>.<ext>`, or two files claim one role. */
export class ConfigNameError extends ConfigError {
  constructor(code: typeof CONFIG_ERROR_CODES.name | typeof CONFIG_ERROR_CODES.conflict, message: string, options: HotReloadErrorOptions = {}) {
    super(code, message, options)
  }
}

/** A value breaks the config's schema. `keyPath` names the value, `line`/`column` where it is written. */
export class ConfigSchemaError extends ConfigError {
  /** The JSON Schema keyword that failed, e.g. `maximum`, `required`, `type`. */
  readonly rule: string
  constructor(rule: string, message: string, options: HotReloadErrorOptions = {}) {
    super(CONFIG_ERROR_CODES.schema, message, options)
    this.rule = rule
  }
}

/** A file was refused before its values were used: unsafe keys, alias bombs, size, duplicates. */
export class ConfigSafetyError extends ConfigError {
  constructor(
    code:
      | typeof CONFIG_ERROR_CODES.unsafeKey
      | typeof CONFIG_ERROR_CODES.duplicateKey
      | typeof CONFIG_ERROR_CODES.aliases
      | typeof CONFIG_ERROR_CODES.tooLarge
      | typeof CONFIG_ERROR_CODES.unsupportedValue
      | typeof CONFIG_ERROR_CODES.notObject,
    message: string,
    options: HotReloadErrorOptions = {},
  ) {
    super(code, message, options)
  }
}

/** A change touches keys that the app only reads at start (`restartRequired`). */
export class ConfigRestartRequiredError extends ConfigError {
  /** The dot key paths that changed and need a restart. */
  readonly keys: readonly string[]
  constructor(keys: readonly string[], message: string, options: HotReloadErrorOptions = {}) {
    super(CONFIG_ERROR_CODES.restartRequired, message, options)
    this.keys = Object.freeze([...keys])
  }
}

/** A required config was deleted, or is missing at start. */
export class ConfigRequiredError extends ConfigError {
  constructor(code: typeof CONFIG_ERROR_CODES.requiredDeleted | typeof CONFIG_ERROR_CODES.missing, message: string, options: HotReloadErrorOptions = {}) {
    super(code, message, options)
  }
}

/** `get(name)` was called for a config that has no committed value. */
export class ConfigNotLoadedError extends ConfigError {
  constructor(name: string, known: readonly string[]) {
    super(CONFIG_ERROR_CODES.notLoaded, `config "${name}" is not loaded`, {
      hint: known.length
        ? `Loaded configs: ${known.join(', ')}. Use has(name) or watch(name).current for optional configs.`
        : 'No config is loaded yet: read configs after createHotReload() resolves, or use watch(name).',
    })
  }
}

/**
 * `get(name)` was called on a plugin that no `createHotReload()` ever applied. When another
 * instance of the same name was applied in this process, the app almost certainly holds a
 * second copy of its `hotreload.config.ts` (what `loadConfigFile` evaluates is a new module).
 */
export class ConfigNotAppliedError extends ConfigError {
  constructor(plugin: string, name: string, twin: boolean) {
    super(
      CONFIG_ERROR_CODES.notApplied,
      twin
        ? `config "${name}" was read from a config plugin "${plugin}" that was never applied; another plugin named "${plugin}" was applied in this process (loadConfigFile() evaluates hotreload.config.ts again, so its plugins are new objects)`
        : `config "${name}" was read from a config plugin "${plugin}" that was never applied`,
      {
        hint: twin
          ? "Pass the options your app imports to createHotReload(): `import options, { configs } from './hotreload.config.js'` then `await createHotReload(options)`; keep loadConfigFile() for tools."
          : 'Pass the plugin to createHotReload({ plugins: [...] }) and read configs after it resolves.',
      },
    )
  }
}

/** The options passed to `configPlugin()` are invalid, or a schema does not compile. */
export class ConfigOptionsError extends ConfigError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(CONFIG_ERROR_CODES.options, message, options)
  }
}

/** A stream's `next()` was waiting, or was called, when the hotreload instance closed. */
export class ConfigClosedError extends ConfigError {
  constructor(name: string) {
    super(CONFIG_ERROR_CODES.closed, `the hotreload instance closed; config "${name}" will not change any more`, {
      hint: 'Stop waiting for config changes once close() is called.',
    })
  }
}
