import { hideSecrets, secretValues } from './redact.js'
import type { FileEntry, StageSettings } from './stage.js'

/**
 * A problem with the values of redacted keys hidden in its message and hint: the values that
 * the files of the config the problem is about (the file it names, its base and overlays) hold
 * under keys matching the `redact` option. A problem naming no file quotes no file's values.
 */
export function withoutSecrets<P extends { readonly path?: string; readonly message: string; readonly hint?: string }>(
  problem: P,
  files: ReadonlyMap<string, FileEntry>,
  settings: Pick<StageSettings, 'namer' | 'redact'>,
): P {
  if (problem.path === undefined) return problem
  const named = settings.namer.resolve(problem.path)
  if (!named.ok) return problem
  const secrets: string[] = []
  for (const file of files.values()) if (file.role.name === named.role.name) secrets.push(...secretValues(file.layer.value, settings.redact))
  return hideSecrets(problem, secrets.sort((a, b) => b.length - a.length))
}
