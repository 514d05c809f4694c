import { HotReloadError, type HotReloadErrorOptions } from '@hotreload/core'

/** The base of every error this package throws; codes start with `HR_BROWSER_`. */
export class BrowserPluginError extends HotReloadError {
  constructor(code: `HR_BROWSER_${string}`, message: string, options: HotReloadErrorOptions = {}) {
    super(code, message, options)
  }
}

/** An option passed to `browser()` is unknown, has the wrong type, or contradicts another. */
export class BrowserOptionsError extends BrowserPluginError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super('HR_BROWSER_OPTIONS', message, options)
  }
}

/** The standalone server of the `listen` option could not bind its port. */
export class BrowserListenError extends BrowserPluginError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super('HR_BROWSER_LISTEN', message, options)
  }
}
