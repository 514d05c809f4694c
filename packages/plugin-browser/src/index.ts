import { browser } from './plugin.js'
import { injectTag, scriptTag } from './html.js'
import { DEFAULT_PREFIX } from './options.js'
import type { ScriptTagOptions } from './types.js'

export { browser }
export default browser
export { DEFAULT_PREFIX, PROTOCOL } from './options.js'
export * from './errors.js'
export type * from './types.js'

/**
 * `html` with the client's `<script type="module">` tag before `</head>` (or `</body>`). Prefer
 * the plugin's own `inject()`, which also tells the client which version the page shows.
 */
export function inject(html: string, options: ScriptTagOptions & { prefix?: string } = {}): string {
  return injectTag(html, scriptTag(options.prefix ?? DEFAULT_PREFIX, undefined, options))
}
