import type { Contender, Watching } from './contender.js'
import { configContent, makeProject, type TempProject } from './project.js'

/** A contender started in its own project, or the reason it could not start. */
export type Started =
  | { readonly contender: Contender; readonly project: TempProject; readonly watching: Watching; readonly error?: undefined }
  | { readonly contender: Contender; readonly project: TempProject; readonly watching?: undefined; readonly error: string }

export function fileOf(contender: Contender, name: string): string {
  return `config/${name}${contender.extension ?? '.json'}`
}

/**
 * Creates one project per contender holding `names` at `initialValue` and starts each contender
 * on it, one after the other (starting them in parallel would time each other's start-up).
 */
export async function startAll(contenders: readonly Contender[], names: readonly string[], initialValue: number): Promise<Started[]> {
  const started: Started[] = []
  for (const contender of contenders) {
    const project = await makeProject(contender.name)
    await Promise.all(names.map((name) => project.write(fileOf(contender, name), configContent(initialValue))))
    try {
      started.push({ contender, project, watching: await contender.start(project.root, names) })
    } catch (error) {
      started.push({ contender, project, error: error instanceof Error ? error.message.split('\n')[0] ?? error.name : String(error) })
    }
  }
  return started
}

/** Closes every contender and removes its project; a failing close is reported, not hidden. */
export async function closeAll(started: readonly Started[]): Promise<string[]> {
  const problems: string[] = []
  for (const s of started) {
    try {
      await s.watching?.close()
    } catch (error) {
      problems.push(`${s.contender.name}: close failed: ${error instanceof Error ? error.message : String(error)}`)
    }
    await s.project.remove()
  }
  return problems
}

/** `items` rotated by `offset`, so no contender always goes first (or always right after another). */
export function rotate<T>(items: readonly T[], offset: number): T[] {
  const k = items.length === 0 ? 0 : offset % items.length
  return [...items.slice(k), ...items.slice(0, k)]
}
