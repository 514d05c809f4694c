import type { ChangeKind } from '@hotreload/core'
import { HotReloadError } from '@hotreload/core'
import { MissingPartialError, PartialInUseError, TemplateCompileError, TemplateNameConflictError } from './errors.js'
import { DependencyGraph } from './graph.js'
import type { NamingRules } from './naming.js'
import type { TemplateUpdateCause } from './events.js'
import type { EngineCompiler, TemplateAnalysis, TemplateFile, TemplateRender } from './types.js'

/** One template in service: its file, source, what it uses, and its compiled function. */
export interface TemplateUnit {
  readonly file: TemplateFile
  readonly source: string
  readonly analysis: TemplateAnalysis
  readonly render: TemplateRender
}

/** The compiled set one transaction puts in service. Never mutated once built. */
export interface Generation {
  readonly units: ReadonlyMap<string, TemplateUnit>
  /** name -> render, the map the hot path reads. */
  readonly renders: ReadonlyMap<string, TemplateRender>
}

export const EMPTY_GENERATION: Generation = Object.freeze({ units: new Map(), renders: new Map() })

/** A claimed file change, reduced to what leaves and what comes in. */
export interface TemplateChange {
  readonly kind: ChangeKind
  /** The change's root-relative path. */
  readonly path: string
  /** A template file that leaves: the deleted path, or the old path of a rename. */
  readonly removedPath?: string
  /** The template file the change brings in (created, modified, renamed to) with its text. */
  readonly added?: { readonly file: TemplateFile; readonly source: string }
}

export interface BuildResult {
  /** Every problem found; when non-empty there is no generation. */
  readonly problems: readonly HotReloadError[]
  /** The new compiled set; undefined when there were problems. */
  readonly generation?: Generation
  /** Templates compiled into the new set: changed ones and their dependents, sorted. */
  readonly compiled: readonly string[]
  /** Templates that left the set, sorted. */
  readonly removed: readonly string[]
  readonly causes: readonly TemplateUpdateCause[]
}

/**
 * Builds the next generation from the current one and a batch of changes: analyses the changed
 * sources, finds every template that uses them (transitively), checks every reference still
 * resolves, and compiles exactly the changed templates and their dependents. Templates nobody
 * touched keep their compiled function. Collects every problem rather than stopping at the first.
 */
export function buildGeneration(current: Generation, changes: readonly TemplateChange[], compiler: EngineCompiler, rules: NamingRules): BuildResult {
  const units = new Map(current.units)
  const byPath = new Map<string, string>()
  for (const [name, unit] of units) byPath.set(unit.file.path, name)
  const problems: HotReloadError[] = []
  const changed = new Set<string>()
  const fresh = new Set<string>()
  const failed = new Set<string>()
  const removed = new Map<string, string>()
  const causeOf: { change: TemplateChange; name: string }[] = []

  for (const change of changes) {
    if (change.removedPath !== undefined) {
      const name = byPath.get(change.removedPath)
      if (name !== undefined) {
        units.delete(name)
        byPath.delete(change.removedPath)
        removed.set(name, change.removedPath)
        changed.add(name)
        if (!change.added) causeOf.push({ change, name })
      }
    }
    if (!change.added) continue
    const { file, source } = change.added
    const holder = units.get(file.name)
    if (holder && holder.file.path !== file.path) {
      problems.push(new TemplateNameConflictError(file.name, file.path, holder.file.path))
      failed.add(file.name)
      continue
    }
    let analysis: TemplateAnalysis
    try {
      analysis = compiler.analyze(source, file)
    } catch (error) {
      problems.push(error instanceof HotReloadError ? error : new TemplateCompileError(file.path, error))
      failed.add(file.name)
      continue
    }
    units.set(file.name, { file, source, analysis, render: holder?.render ?? unlinked })
    byPath.set(file.path, file.name)
    removed.delete(file.name)
    changed.add(file.name)
    fresh.add(file.name)
    causeOf.push({ change, name: file.name })
  }

  const graph = new DependencyGraph(units)
  const dirty = new Set<string>()
  for (const name of fresh) dirty.add(name)
  for (const name of graph.dependentsOf(changed)) if (units.has(name) && !failed.has(name)) dirty.add(name)

  checkReferences([...dirty], units, graph, removed, failed, rules, problems)

  // Filled only once the whole generation is linked and problem-free; lookups happen at render time.
  const renders = new Map<string, TemplateRender>()
  const linker = compiler.createGeneration((name) => renders.get(name))
  const compiled = [...dirty].sort()
  for (const name of compiled) {
    const unit = units.get(name)
    if (!unit) continue
    try {
      units.set(name, { ...unit, render: linker.link(unit.file, unit.analysis, unit.source) })
    } catch (error) {
      problems.push(error instanceof HotReloadError ? error : new TemplateCompileError(unit.file.path, error))
    }
  }

  const causes = [...causeOf].sort((a, b) => (a.change.path < b.change.path ? -1 : a.change.path > b.change.path ? 1 : 0)).map(({ change, name }) => ({
    path: change.path,
    kind: change.kind,
    name,
    dependents: graph.dependentsOf([name]).filter((d) => d !== name && units.has(d)),
  }))
  const removedNames = [...removed.keys()].sort()
  if (problems.length > 0) return { problems, compiled, removed: removedNames, causes }

  for (const [name, unit] of units) renders.set(name, unit.render)
  linker.seal(units)
  return { problems, generation: Object.freeze({ units, renders }), compiled, removed: removedNames, causes }
}

/**
 * Every reference of the templates being compiled must resolve to a template of the new set,
 * an inline partial some template defines, or a template that failed to parse (already reported).
 * A reference to a template deleted in this batch is reported once per deleted file, naming its users.
 */
function checkReferences(
  names: readonly string[],
  units: ReadonlyMap<string, TemplateUnit>,
  graph: DependencyGraph,
  removed: ReadonlyMap<string, string>,
  failed: ReadonlySet<string>,
  rules: NamingRules,
  problems: HotReloadError[],
): void {
  const stillUsed = new Map<string, Set<string>>()
  for (const name of names) {
    const unit = units.get(name)
    if (!unit) continue
    for (const dependency of unit.analysis.dependencies) {
      if (dependency.optional || units.has(dependency.name) || failed.has(dependency.name) || graph.inlineDefined.has(dependency.name)) continue
      if (removed.has(dependency.name)) {
        let users = stillUsed.get(dependency.name)
        if (!users) stillUsed.set(dependency.name, (users = new Set()))
        users.add(name)
        continue
      }
      const suggestion = [rules.dir, rules.partialsDir, `${dependency.name}${rules.extensions[0] ?? ''}`].filter((p) => p !== '').join('/')
      problems.push(
        new MissingPartialError(name, dependency.name, {
          path: unit.file.path,
          line: dependency.line,
          column: dependency.column,
          hint: `Create ${suggestion} (or any template named "${dependency.name}"), or fix the ${dependency.kind} name.`,
        }),
      )
    }
  }
  for (const [name, users] of stillUsed) problems.push(new PartialInUseError(name, removed.get(name) ?? name, [...users].sort()))
}

function unlinked(): string {
  throw new Error('template used before it was linked')
}
