import { EMPTY_GENERATION, type Generation } from './build.js'
import { TemplateNotFoundError, TemplateRenderError } from './errors.js'
import type { TemplateRender, TemplateStats } from './types.js'

/** What the app calls: the compiled templates currently in service. */
export interface TemplateCache {
  /**
   * Renders the template `name` with `data` using the compiled function in service now. A Map
   * lookup and the engine's function, nothing else: no I/O, no compilation. Throws
   * `TemplateNotFoundError` for an unknown name and `TemplateRenderError` (with the template's
   * file) if the template throws.
   */
  render(name: string, data?: unknown): string
  /**
   * The compiled function of `name` in service now. It keeps rendering the version it was
   * compiled from: call `get` again (or use `render`) to follow updates. Throws
   * `TemplateNotFoundError` for an unknown name.
   */
  get(name: string): TemplateRender
  /** Whether a template named `name` is in service. Does not count as a hit or a miss. */
  has(name: string): boolean
  /** The names of every template in service, sorted. */
  names(): string[]
  /** Counters since the plugin was created. */
  stats(): TemplateStats
}

/** The cache plus the operations the plugin uses to swap generations in and out. */
export interface TemplateCacheControl {
  readonly cache: TemplateCache
  current(): Generation
  /** Puts `generation` in service (at commit); `compiled` is how many templates it compiled. */
  install(generation: Generation, compiled: number): void
}

/**
 * Creates the cache. State lives in closure variables and methods are plain closures, so the
 * render path is a Map get, a counter and the engine's call, and `const { render } = templates`
 * works without binding.
 */
export function createTemplateCache(): TemplateCacheControl {
  let live: Generation = EMPTY_GENERATION
  let renders = live.renders
  let renderCount = 0
  let getHits = 0
  let misses = 0
  let compilations = 0
  let generations = 0

  const notFound = (name: string): TemplateNotFoundError => {
    misses++
    return new TemplateNotFoundError(name, [...renders.keys()].sort())
  }

  const cache: TemplateCache = {
    render(name, data) {
      const render = renders.get(name)
      if (render === undefined) throw notFound(name)
      renderCount++
      try {
        return render(data)
      } catch (error) {
        throw new TemplateRenderError(name, live.units.get(name)?.file.path, error)
      }
    },
    get(name) {
      const render = renders.get(name)
      if (render === undefined) throw notFound(name)
      getHits++
      return render
    },
    has: (name) => renders.has(name),
    names: () => [...renders.keys()].sort(),
    stats: () => ({
      compilations,
      cacheHits: renderCount + getHits,
      misses,
      renders: renderCount,
      templates: renders.size,
      generations,
    }),
  }

  return {
    cache,
    current: () => live,
    install(generation, compiled) {
      live = generation
      renders = generation.renders
      compilations += compiled
      generations++
    },
  }
}
