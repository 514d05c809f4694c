import { BackupOptionsError } from './errors.js'
import type { RetentionPolicy } from './retention.js'

/** Options of `backupPlugin()`. */
export interface BackupOptions extends RetentionPolicy {
  /** Plugin name, shown in events and errors; give each instance its own. Default `backup`. */
  readonly name?: string
  /** Backup directory, relative to the root or absolute. Default `.hotreload/backups`. */
  readonly dir?: string
  /**
   * What a backup that cannot be written does to the transaction: `block` (default) rolls it
   * back, so no version is ever lost silently; `warn` applies it anyway and emits
   * `backup:failed`.
   */
  readonly onError?: 'block' | 'warn'
}

export interface ResolvedBackupOptions extends RetentionPolicy {
  readonly name: string
  readonly dir: string
  readonly onError: 'block' | 'warn'
}

const KNOWN = new Set(['name', 'dir', 'onError', 'keepVersions', 'maxAgeMs', 'maxTotalBytes'])

/** Checks the options and fills in defaults; throws `BackupOptionsError` naming every mistake. */
export function resolveBackupOptions(options: BackupOptions): ResolvedBackupOptions {
  if (typeof options !== 'object' || options === null) throw new BackupOptionsError('backupPlugin(): options must be an object')
  const mistakes: string[] = []
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) mistakes.push(`unknown option "${key}"`)
  const { name = 'backup', dir = '.hotreload/backups', onError = 'block', keepVersions, maxAgeMs, maxTotalBytes } = options
  if (typeof name !== 'string' || name === '') mistakes.push('"name" must be a non-empty string')
  if (typeof dir !== 'string' || dir === '') mistakes.push('"dir" must be a non-empty string')
  if (onError !== 'block' && onError !== 'warn') mistakes.push(`"onError" must be "block" or "warn", got ${JSON.stringify(onError)}`)
  checkCount('keepVersions', keepVersions, 1, mistakes)
  checkCount('maxAgeMs', maxAgeMs, 0, mistakes)
  checkCount('maxTotalBytes', maxTotalBytes, 0, mistakes)
  if (mistakes.length > 0) {
    throw new BackupOptionsError(`backupPlugin(): ${mistakes.join('; ')}`, {
      hint: `Valid options: ${[...KNOWN].join(', ')}. Durations are milliseconds, e.g. maxAgeMs: 7 * 24 * 3600 * 1000.`,
    })
  }
  return Object.freeze({
    name,
    dir,
    onError,
    ...(keepVersions === undefined ? {} : { keepVersions }),
    ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
    ...(maxTotalBytes === undefined ? {} : { maxTotalBytes }),
  })
}

/** Also used for the CLI's `prune` flags. */
export function checkCount(key: string, value: unknown, min: number, mistakes: string[]): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    mistakes.push(`"${key}" must be an integer >= ${min}, got ${JSON.stringify(value)}`)
  }
}
