import { HotReloadError, type HotReloadErrorOptions } from '@hotreload/core'

/**
 * Codes of every error and problem this plugin reports. Stable: programs reading `--json`
 * output and `rejected` events may switch on them.
 */
export const TEMPLATE_ERROR_CODES = Object.freeze({
  options: 'HR_TEMPLATES_OPTIONS',
  engineMissing: 'HR_TEMPLATES_ENGINE_MISSING',
  engineLoad: 'HR_TEMPLATES_ENGINE_LOAD',
  syntax: 'HR_TEMPLATES_SYNTAX',
  compile: 'HR_TEMPLATES_COMPILE',
  missingPartial: 'HR_TEMPLATES_MISSING_PARTIAL',
  partialInUse: 'HR_TEMPLATES_PARTIAL_IN_USE',
  nameConflict: 'HR_TEMPLATES_NAME_CONFLICT',
  read: 'HR_TEMPLATES_READ',
  notFound: 'HR_TEMPLATES_NOT_FOUND',
  render: 'HR_TEMPLATES_RENDER',
} as const)

/** One of the codes in `TEMPLATE_ERROR_CODES`. */
export type TemplateErrorCode = (typeof TEMPLATE_ERROR_CODES)[keyof typeof TEMPLATE_ERROR_CODES]

/**
 * Base of every error the templates plugin raises or turns into a problem. `plugin` is filled
 * in when the plugin reports it, so one class serves every plugin instance name.
 */
export class TemplateError extends HotReloadError {
  declare readonly code: TemplateErrorCode
  constructor(code: TemplateErrorCode, message: string, options: HotReloadErrorOptions = {}) {
    super(code, message, options)
  }
}

/** `templatesPlugin()` was given options it cannot work with. */
export class TemplatesOptionsError extends TemplateError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(TEMPLATE_ERROR_CODES.options, message, options)
  }
}

/** The optional peer dependency an engine adapter needs is not installed. */
export class TemplateEngineMissingError extends TemplateError {
  readonly packageName: string
  constructor(packageName: string, engine: string, cause: unknown) {
    super(TEMPLATE_ERROR_CODES.engineMissing, `The ${engine} template engine needs the "${packageName}" package, which is not installed`, {
      hint: `Run \`npm install ${packageName}\` in your project.`,
      cause,
    })
    this.packageName = packageName
  }
}

/** The engine package is installed but failed to load. */
export class TemplateEngineLoadError extends TemplateError {
  constructor(packageName: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause)
    super(TEMPLATE_ERROR_CODES.engineLoad, `The "${packageName}" package is installed but could not be loaded: ${why}`, {
      hint: `Reinstall it with \`npm install ${packageName}\` and check that its version matches the peer dependency range.`,
      cause,
    })
  }
}

/** A template does not parse or compile; line and column come from the engine when it gives them. */
export class TemplateSyntaxError extends TemplateError {
  constructor(message: string, options: HotReloadErrorOptions & { path: string }) {
    super(TEMPLATE_ERROR_CODES.syntax, message, {
      hint: 'Fix the template syntax at that position; the previous compiled version keeps serving until then.',
      ...options,
    })
  }
}

/** A custom engine's `compile()` threw for a template. */
export class TemplateCompileError extends TemplateError {
  constructor(path: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause)
    const at = cause as { line?: unknown; lineNumber?: unknown; column?: unknown }
    const line = typeof at.line === 'number' ? at.line : typeof at.lineNumber === 'number' ? at.lineNumber : undefined
    super(TEMPLATE_ERROR_CODES.compile, `Compiling the template failed: ${why}`, {
      path,
      line,
      column: line !== undefined && typeof at.column === 'number' ? at.column : undefined,
      hint: 'Fix the template (or the engine) so it compiles; the previous compiled version keeps serving until then.',
      cause,
    })
  }
}

/** A template refers to a partial, layout or include that no file provides. */
export class MissingPartialError extends TemplateError {
  constructor(template: string, dependency: string, options: HotReloadErrorOptions & { path: string; hint: string }) {
    super(TEMPLATE_ERROR_CODES.missingPartial, `Template "${template}" uses "${dependency}", which no template file provides`, options)
  }
}

/** A partial, layout or include was deleted while templates still use it. */
export class PartialInUseError extends TemplateError {
  constructor(name: string, path: string, users: readonly string[]) {
    super(
      TEMPLATE_ERROR_CODES.partialInUse,
      `"${name}" was deleted but is still used by ${users.map((u) => `"${u}"`).join(', ')}`,
      { path, hint: `Restore ${path}, or remove its use from ${users.join(', ')} in the same change.` },
    )
  }
}

/** Two files map to the same template name. */
export class TemplateNameConflictError extends TemplateError {
  constructor(name: string, path: string, otherPath: string) {
    super(TEMPLATE_ERROR_CODES.nameConflict, `${path} and ${otherPath} both define the template "${name}"`, {
      path,
      hint: 'Rename or move one of them: a file under the partials directory is named without that directory, so it can clash with a top-level template.',
    })
  }
}

/** A changed template file could not be read. */
export class TemplateReadError extends TemplateError {
  constructor(path: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause)
    super(TEMPLATE_ERROR_CODES.read, `The template file could not be read: ${why}`, {
      path,
      hint: 'Check that the file exists and is readable; the transaction is retried on its next change.',
      cause,
    })
  }
}

/** `render()` or `get()` asked for a template that is not in service. */
export class TemplateNotFoundError extends TemplateError {
  /** `known` lists the loaded names for the message; leave it out when they are not at hand. */
  constructor(name: string, known?: readonly string[]) {
    const some = (known ?? []).slice(0, 10).map((n) => `"${n}"`).join(', ')
    const loaded = known === undefined ? '' : known.length > 0 ? ` (loaded: ${some}${known.length > 10 ? ', ...' : ''})` : ' (none are loaded yet)'
    super(TEMPLATE_ERROR_CODES.notFound, `No template named "${name}" is loaded${loaded}`, {
      hint: 'Template names are file paths relative to the templates directory without the extension; files under its partials directory drop that prefix too.',
    })
  }
}

/** A compiled template threw while rendering (a helper failed, a dynamic partial is missing...). */
export class TemplateRenderError extends TemplateError {
  constructor(name: string, path: string | undefined, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause)
    super(TEMPLATE_ERROR_CODES.render, `Rendering template "${name}" failed: ${why}`, {
      path,
      hint: 'Check the data passed to render() and the helpers and partials the template uses.',
      cause,
    })
  }
}
