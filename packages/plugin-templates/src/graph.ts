import type { TemplateAnalysis } from './types.js'

/**
 * Who uses whom, built from the analyses of one generation. Edges point from a template to the
 * names it uses; `dependentsOf` walks them backwards. A dynamic template (one that picks what it
 * uses at render time) is a dependent of every name.
 */
export class DependencyGraph {
  private readonly users = new Map<string, Set<string>>()
  private readonly dynamic = new Set<string>()
  /** Names some template defines inline (Handlebars `{{#*inline "x"}}`), available to the partials it calls. */
  readonly inlineDefined: ReadonlySet<string>

  constructor(templates: ReadonlyMap<string, { readonly analysis: TemplateAnalysis }>) {
    const defined = new Set<string>()
    for (const [name, { analysis }] of templates) {
      if (analysis.dynamic) this.dynamic.add(name)
      for (const d of analysis.defines) defined.add(d)
      for (const dependency of analysis.dependencies) {
        let set = this.users.get(dependency.name)
        if (!set) this.users.set(dependency.name, (set = new Set()))
        set.add(name)
      }
    }
    this.inlineDefined = defined
  }

  /** Templates that use `name` directly (not dynamic ones), sorted. */
  directUsersOf(name: string): string[] {
    return [...(this.users.get(name) ?? [])].sort()
  }

  /**
   * Every template that uses any of `names`, directly or through other templates, plus every
   * dynamic template; the names themselves only if they use each other. Sorted.
   */
  dependentsOf(names: Iterable<string>): string[] {
    const start = [...names]
    if (start.length === 0) return []
    const seen = new Set<string>()
    const queue = [...start, ...this.dynamic]
    for (const d of this.dynamic) seen.add(d)
    for (let current = queue.pop(); current !== undefined; current = queue.pop()) {
      for (const user of this.users.get(current) ?? []) {
        if (seen.has(user)) continue
        seen.add(user)
        queue.push(user)
      }
    }
    return [...seen].sort()
  }
}
