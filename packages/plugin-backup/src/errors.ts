import { HotReloadError, type HotReloadErrorOptions } from '@hotreload/core'

/**
 * Codes of every error this plugin raises, all `HR_BACKUP_*`. Stable: programs reading `--json`
 * output and `rolled-back` / `backup:failed` events may switch on them.
 */
export const BACKUP_ERROR_CODES = Object.freeze({
  write: 'HR_BACKUP_WRITE',
  path: 'HR_BACKUP_PATH',
  notFound: 'HR_BACKUP_NOT_FOUND',
  ambiguous: 'HR_BACKUP_AMBIGUOUS',
  corrupt: 'HR_BACKUP_CORRUPT',
  options: 'HR_BACKUP_OPTIONS',
  notStarted: 'HR_BACKUP_NOT_STARTED',
} as const)

/** One of the codes in `BACKUP_ERROR_CODES`. */
export type BackupErrorCode = (typeof BACKUP_ERROR_CODES)[keyof typeof BACKUP_ERROR_CODES]

/** Base of every error the backup plugin raises. */
export class BackupError extends HotReloadError {
  declare readonly code: BackupErrorCode
  constructor(code: BackupErrorCode, message: string, options: HotReloadErrorOptions = {}) {
    super(code, message, options)
  }
}

/**
 * The backup directory, an object or the index could not be written (the directory is a file,
 * the disk is full, permissions). With `onError: 'block'` it rolls the transaction back.
 */
export class BackupWriteError extends BackupError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(BACKUP_ERROR_CODES.write, message, {
      hint: 'Make sure the backup directory is a writable directory (option "outDir"), or pass onError: "warn" to apply without a backup.',
      ...options,
    })
  }
}

/** A path would lead outside the backup directory or the project root; nothing was written. */
export class BackupPathError extends BackupError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(BACKUP_ERROR_CODES.path, message, {
      hint: 'Use a path relative to the project root that stays inside it (no "..", no absolute path).',
      ...options,
    })
  }
}

/** `restore(path, version)` found no backup of that file at that version. */
export class BackupNotFoundError extends BackupError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(BACKUP_ERROR_CODES.notFound, message, options)
  }
}

/** Several different backups of a file share the version given to `restore()`; a hash picks one. */
export class BackupAmbiguousError extends BackupError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(BACKUP_ERROR_CODES.ambiguous, message, options)
  }
}

/** A stored object is missing or its bytes no longer match its sha256. */
export class BackupCorruptError extends BackupError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(BACKUP_ERROR_CODES.corrupt, message, {
      hint: 'The backup directory was changed by something other than hotreload; this version cannot be restored.',
      ...options,
    })
  }
}

/** The options passed to `backupPlugin()` contradict the root (an `outDir` containing it). Typos and wrong types are the core's `OptionsError`. */
export class BackupOptionsError extends BackupError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(BACKUP_ERROR_CODES.options, message, options)
  }
}

/** `list`, `restore` or `prune` was called before `createHotReload` applied the plugin, or after close. */
export class BackupNotStartedError extends BackupError {
  constructor(what: string, reason: 'not-started' | 'closed') {
    super(
      BACKUP_ERROR_CODES.notStarted,
      reason === 'closed' ? `backup ${what}() was called after the instance closed` : `backup ${what}() was called before the plugin was started`,
      { hint: 'Pass the plugin to createHotReload({ plugins: [...] }) and await it before using the backup API.' },
    )
  }
}
