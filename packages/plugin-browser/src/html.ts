// The one tag a page needs, and a helper that puts it into rendered HTML.
import type { ScriptTagOptions } from './types.js'

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')

/**
 * The client's `<script type="module">` tag. `page` is the state the page is rendered from:
 * the client compares it with the server's first `hello` to catch an edit made between the
 * render and the connect.
 */
export function scriptTag(prefix: string, page: { runId: string; version: number } | undefined, options: ScriptTagOptions = {}): string {
  const attributes = [`type="module"`, `src="${escapeAttribute(`${prefix}/client.js`)}"`, `data-hotreload-prefix="${escapeAttribute(prefix)}"`]
  if (page) attributes.push(`data-hotreload-run="${escapeAttribute(page.runId)}"`, `data-hotreload-version="${page.version}"`)
  if (options.templates) attributes.push(`data-hotreload-templates="${escapeAttribute(options.templates.join(','))}"`)
  return `<script ${attributes.join(' ')}></script>`
}

/** `html` with `tag` before `</head>`, else before `</body>`, else appended. */
export function injectTag(html: string, tag: string): string {
  for (const close of [/<\/head\s*>/i, /<\/body\s*>/i]) {
    const match = close.exec(html)
    if (match) return `${html.slice(0, match.index)}${tag}${html.slice(match.index)}`
  }
  return `${html}${tag}`
}
