// A ReloadHandler as its own package: a redirect table kept in routes/*.json. Each file maps
// a path to a target URL; a table is checked before it goes live (validate), and it goes live
// only once every plugin applied (commit), so a failed transaction never shows its table.
import { defineReloadHandler } from '@hotreload/core'

/**
 * Creates the handler and the table it keeps. Use `routes.plugin` in `plugins: [...]` and
 * `routes.lookup(path)` in your server.
 * @param {{ files?: string }} [options]
 */
export function routesHandler(options = {}) {
  /** @type {Map<string, string>} */
  let table = new Map()
  /** @type {Map<string, Map<string, string>>} file -> its routes, so a deleted file drops only its own */
  const byFile = new Map()

  const plugin = defineReloadHandler({
    name: 'routes',
    files: options.files ?? 'routes/*.json',
    async validate(change, ctx) {
      if (change.kind === 'deleted') return undefined
      let parsed
      try {
        parsed = JSON.parse(await ctx.readText())
      } catch (error) {
        ctx.problem(`not valid JSON: ${error.message}`, { hint: 'Fix the JSON syntax.' })
        return undefined
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        ctx.problem('expected an object of "path": "target" pairs', { hint: 'Write {"/old": "/new"}.' })
        return undefined
      }
      const routes = new Map()
      for (const [from, to] of Object.entries(parsed)) {
        if (!from.startsWith('/')) ctx.problem(`route "${from}" must start with "/"`, { hint: `Write "/${from}".` })
        else if (typeof to !== 'string' || !/^(\/|https?:\/\/)/.test(to)) ctx.problem(`target of "${from}" must be a path or an http(s) URL`)
        else routes.set(from, to)
      }
      return routes
    },
    commit(change, ctx) {
      if (change.kind === 'deleted') byFile.delete(change.path)
      else byFile.set(change.path, /** @type {Map<string, string>} */ (ctx.staged))
      if (change.from) byFile.delete(change.from)
      table = new Map([...byFile.values()].flatMap((m) => [...m]))
    },
  })

  return {
    plugin,
    /** The redirect target for `path`, or undefined. A Map lookup: no I/O. */
    lookup: (path) => table.get(path),
    /** Number of routes live now. */
    size: () => table.size,
  }
}
