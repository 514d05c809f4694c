import type { Plugin } from '@hotreload/core'

export interface RoutesHandlerOptions {
  /** Globs of the route files, relative to the root. Default `routes/*.json`. */
  files?: string
}

export interface Routes {
  /** Put this in `plugins: [...]`. */
  readonly plugin: Plugin
  /** The redirect target for `path`, or undefined. */
  lookup(path: string): string | undefined
  /** Number of routes live now. */
  size(): number
}

/** Creates the routes ReloadHandler and the table it keeps current. */
export function routesHandler(options?: RoutesHandlerOptions): Routes
