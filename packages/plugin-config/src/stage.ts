import { toProblem, type FileChange, type Transaction } from '@hotreload/core'
import { diffValues, entryTouches, type ConfigDiff, type DiffEntry } from './diff.js'
import {
  ConfigError,
  ConfigNameError,
  ConfigRequiredError,
  ConfigRestartRequiredError,
  CONFIG_ERROR_CODES,
} from './errors.js'
import type { KeyPath } from './key-path.js'
import { locateInLayers, mergeLayers, type ConfigLayer } from './merge.js'
import type { ConfigFileRole, ConfigNamer } from './names.js'
import { parseFile } from './parse.js'
import { withoutSecrets } from './problem-secrets.js'
import { checkSize, deepFreeze, sanitize } from './safety.js'
import type { SchemaSet } from './validate.js'

/** A file that parsed and passed the safety checks, with the role its name gives it. */
export interface FileEntry {
  readonly path: string
  readonly role: ConfigFileRole
  readonly layer: ConfigLayer
}

/** Everything the plugin knows after a commit: the files, and the deep-frozen value of each config. */
export interface ConfigState {
  readonly files: ReadonlyMap<string, FileEntry>
  readonly configs: ReadonlyMap<string, unknown>
}

/** A config whose value a transaction changes. `newValue` is undefined when it is removed. */
export interface ConfigUpdate {
  readonly name: string
  readonly oldValue: unknown
  readonly newValue: unknown
  readonly diff: ConfigDiff
  /** The files of this config that changed. */
  readonly paths: readonly string[]
}

/** What validate stages for apply: the next state, and the configs that change. */
export interface StagedConfig {
  readonly state: ConfigState
  readonly updates: readonly ConfigUpdate[]
}

/** The fixed settings a transaction is staged with. */
export interface StageSettings {
  readonly plugin: string
  readonly namer: ConfigNamer
  readonly globs: readonly string[]
  readonly schemas: SchemaSet
  readonly env: string | undefined
  readonly required: ReadonlySet<string>
  readonly restartRequired: ReadonlyMap<string, (path: KeyPath) => boolean>
  readonly maxFileBytes: number
  readonly maxAliasCount: number
  /** Keys whose values are hidden in problems; the plugin's `redact` option. */
  readonly redact?: RegExp
}

export const EMPTY_STATE: ConfigState = Object.freeze({ files: new Map(), configs: new Map() })

/**
 * The validate step: reads and parses every claimed file, recomputes each config they belong to
 * (base deep-merged with the overlay of the active environment), validates it against its
 * schema, checks deletions and restart-only keys, and reports every problem on `tx`.
 * Returns the staged next state, or undefined when the plugin has nothing to do or the
 * transaction was aborted. Never throws for a user's file.
 */
export async function stageChanges(tx: Transaction, current: ConfigState, settings: StageSettings): Promise<StagedConfig | undefined> {
  const claimed = tx.claimed(settings.plugin)
  if (claimed.length === 0 && tx.reason !== 'initial') return undefined
  const report = (error: unknown, path?: string): void => tx.problem(withoutSecrets(toProblem(error, settings.plugin, path), files, settings))

  const files = new Map(current.files)
  const touched = new Map<string, string[]>()
  const failed = new Set<string>()
  const touch = (name: string, path: string): void => {
    const paths = touched.get(name) ?? []
    if (!paths.includes(path)) paths.push(path)
    touched.set(name, paths)
  }

  const toLoad: FileChange[] = []
  for (const change of claimed) {
    const gone = change.kind === 'deleted' ? change.path : change.kind === 'renamed' ? change.from : undefined
    const old = gone === undefined ? undefined : files.get(gone)
    if (gone !== undefined && old) {
      files.delete(gone)
      touch(old.role.name, gone)
    }
    if (change.kind !== 'deleted' && settings.namer.matches(change.path)) toLoad.push(change)
  }

  const loaded = await loadAll(tx, toLoad, settings)
  if (tx.signal.aborted) return undefined
  toLoad.forEach((change, i) => {
    const result = loaded[i]
    if (result === undefined || Array.isArray(result)) {
      for (const error of result ?? []) report(error, change.path)
      const named = settings.namer.resolve(change.path)
      if (named.ok) {
        touch(named.role.name, change.path)
        failed.add(named.role.name)
      }
      return
    }
    files.set(change.path, result)
    touch(result.role.name, change.path)
  })

  const byName = new Map<string, FileEntry[]>()
  for (const entry of files.values()) {
    const list = byName.get(entry.role.name)
    if (list) list.push(entry)
    else byName.set(entry.role.name, [entry])
  }
  const configs = new Map(current.configs)
  const updates: ConfigUpdate[] = []
  const reported = new Set(failed)
  for (const [name, paths] of touched) {
    if (failed.has(name)) continue
    const result = recompute(name, paths, byName.get(name) ?? [], current, tx, settings)
    if (result.errors.length > 0) {
      for (const error of result.errors) report(error)
      reported.add(name)
      continue
    }
    if (!result.update) continue
    if (result.update.newValue === undefined) configs.delete(name)
    else configs.set(name, result.update.newValue)
    updates.push(result.update)
  }

  // Checked on every transaction with config work, not only the initial one: if the initial
  // load was rejected for another reason, the app still has no value for a config it needs.
  for (const name of settings.required) {
    if (configs.has(name) || reported.has(name)) continue
    report(
      new ConfigRequiredError(CONFIG_ERROR_CODES.missing, `config "${name}" is required but no file defines it`, {
        hint: `Create ${settings.namer.suggestFile(name)} (or .yaml, .yml, .toml), or leave "${name}" out of the required option.`,
      }),
    )
  }
  return { state: { files, configs }, updates }
}

// Enough parallel reads to hide disk latency on a large initial load, few enough to stay far
// from the process's file descriptor limit.
const READ_CONCURRENCY = 32

async function loadAll(tx: Transaction, changes: readonly FileChange[], settings: StageSettings): Promise<(FileEntry | ConfigError[])[]> {
  const results: (FileEntry | ConfigError[])[] = new Array(changes.length)
  const only = changes.length === 1 ? changes[0] : undefined
  if (only) {
    // A save: no workers to share the list out.
    if (!tx.signal.aborted) results[0] = await loadFile(tx, only, settings)
    return results
  }
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < changes.length && !tx.signal.aborted) {
      const i = next++
      const change = changes[i]
      if (change) results[i] = await loadFile(tx, change, settings)
    }
  }
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, changes.length) }, worker))
  return results
}

async function loadFile(tx: Transaction, change: FileChange, settings: StageSettings): Promise<FileEntry | ConfigError[]> {
  const named = settings.namer.resolve(change.path)
  if (!named.ok) return [named.error]
  const declared = change.fingerprint?.size
  const early = declared === undefined ? undefined : checkSize(declared, settings.maxFileBytes, change.path)
  if (early) return [early]
  let bytes: Buffer
  try {
    bytes = await tx.read(change)
  } catch (error) {
    return [
      new ConfigError(CONFIG_ERROR_CODES.read, `cannot read the file: ${error instanceof Error ? error.message : String(error)}`, {
        path: change.path,
        hint: 'Check that the file exists and is readable; the next save retries it.',
        cause: error,
      }),
    ]
  }
  const tooLarge = checkSize(bytes.length, settings.maxFileBytes, change.path)
  if (tooLarge) return [tooLarge]
  try {
    // Not UTF-8, nested too deep: refused here before any value is built.
    const parsed = parseFile(bytes, named.role.format, { path: change.path, maxAliasCount: settings.maxAliasCount })
    if (!parsed.ok) return [...parsed.errors]
    const clean = sanitize(parsed.source, change.path)
    if (!clean.ok) return clean.errors
    return { path: change.path, role: named.role, layer: { path: change.path, source: parsed.source, value: clean.value } }
  } catch (error) {
    // A parser may still throw on pathological input (a stack overflow on deep nesting).
    return [
      new ConfigError(CONFIG_ERROR_CODES.parse, `could not parse the file: ${error instanceof Error ? error.message : String(error)}`, {
        path: change.path,
        hint: 'Simplify the file; deeply nested or huge structures are refused.',
        cause: error,
      }),
    ]
  }
}

function recompute(
  name: string,
  paths: readonly string[],
  entries: readonly FileEntry[],
  current: ConfigState,
  tx: Transaction,
  settings: StageSettings,
): { errors: ConfigError[]; update?: ConfigUpdate } {
  const conflicts = findConflicts(name, entries)
  if (conflicts.length > 0) return { errors: conflicts }

  const base = entries.find((f) => f.role.env === undefined)
  const overlay = settings.env === undefined ? undefined : entries.find((f) => f.role.env === settings.env)
  const layers = [base, overlay].flatMap((f) => (f ? [f.layer] : []))
  const oldValue = current.configs.get(name)
  const checkRestart = oldValue !== undefined && tx.reason !== 'initial'

  if (layers.length === 0) {
    // Only an overlay for another environment changed, or a config that never loaded went away.
    if (oldValue === undefined) return { errors: [] }
    if (settings.required.has(name)) {
      return {
        errors: [
          new ConfigRequiredError(CONFIG_ERROR_CODES.requiredDeleted, `config "${name}" is required and cannot be deleted; its last good value stays in use`, {
            path: paths[0],
            hint: 'Restore the file (git checkout, undo), or leave the config out of the required option if it is optional.',
          }),
        ],
      }
    }
    const diff = diffValues(oldValue, undefined)
    const restart = checkRestart ? restartProblem(name, diff, [], paths, settings) : undefined
    if (restart) return { errors: [restart] }
    return { errors: [], update: { name, oldValue, newValue: undefined, diff, paths } }
  }

  const value = mergeLayers(layers)
  const schemaErrors = settings.schemas.validate(name, value, layers)
  if (schemaErrors.length > 0) return { errors: schemaErrors }
  deepFreeze(value)
  const diff = diffValues(oldValue, value)
  const restart = checkRestart ? restartProblem(name, diff, layers, paths, settings) : undefined
  if (restart) return { errors: [restart] }
  // Unchanged values keep their identity, so readers comparing with === see no change.
  if (oldValue !== undefined && diff.length === 0) return { errors: [] }
  return { errors: [], update: { name, oldValue, newValue: value, diff, paths } }
}

function findConflicts(name: string, entries: readonly FileEntry[]): ConfigError[] {
  // One file per config, the usual case, cannot conflict.
  if (entries.length < 2) return []
  const byRole = new Map<string, FileEntry[]>()
  for (const entry of entries) {
    const role = entry.role.env ?? ''
    byRole.set(role, [...(byRole.get(role) ?? []), entry])
  }
  const errors: ConfigError[] = []
  for (const [env, group] of byRole) {
    if (group.length < 2) continue
    const list = group.map((f) => f.path).sort()
    errors.push(
      new ConfigNameError(CONFIG_ERROR_CODES.conflict, `${list.join(' and ')} both define ${env ? `the "${env}" overlay of ` : ''}config "${name}"`, {
        path: list[1],
        hint: 'Keep one file per config and environment; delete or rename the other.',
      }),
    )
  }
  return errors
}

function restartProblem(name: string, diff: ConfigDiff, layers: readonly ConfigLayer[], paths: readonly string[], settings: StageSettings): ConfigError | undefined {
  const test = settings.restartRequired.get(name)
  if (!test) return undefined
  const unsafe: DiffEntry[] = diff.filter((e) => entryTouches(e.keys, e.oldValue, e.newValue, test))
  const first = unsafe[0]
  if (!first) return undefined
  const where = layers.length > 0 ? locateInLayers(layers, first.keys) : undefined
  const keys = unsafe.map((e) => e.path)
  return new ConfigRestartRequiredError(keys, `restart needed: config "${name}" changes ${keys.join(', ')}, which the app reads only at start; nothing was applied`, {
    path: where?.path ?? paths[0],
    line: where?.position?.line,
    column: where?.position?.column,
    keyPath: first.path,
    hint: 'Restart the app to use the new values, or revert these keys to apply the rest of the edit live.',
  })
}
