import { HotReloadError, type HotReloadErrorOptions } from '@hotreload/core'

/**
 * The backup directory, an object or the index could not be written (the directory is a file,
 * the disk is full, permissions). With `onError: 'block'` it rolls the transaction back.
 */
export class BackupWriteError extends HotReloadError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super('HR_BACKUP_WRITE', message, {
      hint: 'Make sure the backup directory is a writable directory (option "dir"), or pass onError: "warn" to apply without a backup.',
      ...options,
    })
  }
}

/** A path would lead outside the backup directory or the project root; nothing was written. */
export class BackupPathError extends HotReloadError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super('HR_BACKUP_PATH', message, {
      hint: 'Use a path relative to the project root that stays inside it (no "..", no absolute path).',
      ...options,
    })
  }
}

/** `restore(path, version)` found no backup of that file at that version. */
export class BackupNotFoundError extends HotReloadError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super('HR_BACKUP_NOT_FOUND', message, options)
  }
}

/** Several different backups of a file share the version given to `restore()`; a hash picks one. */
export class BackupAmbiguousError extends HotReloadError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super('HR_BACKUP_AMBIGUOUS', message, options)
  }
}

/** A stored object is missing or its bytes no longer match its sha256. */
export class BackupCorruptError extends HotReloadError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super('HR_BACKUP_CORRUPT', message, {
      hint: 'The backup directory was changed by something other than hotreload; this version cannot be restored.',
      ...options,
    })
  }
}

/** The options passed to `backupPlugin()` are invalid. */
export class BackupOptionsError extends HotReloadError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super('HR_BACKUP_OPTIONS', message, options)
  }
}

/** `list`, `restore` or `prune` was called before `createHotReload` applied the plugin, or after close. */
export class BackupNotStartedError extends HotReloadError {
  constructor(what: string, reason: 'not-started' | 'closed') {
    super(
      'HR_BACKUP_NOT_STARTED',
      reason === 'closed' ? `backup ${what}() was called after the instance closed` : `backup ${what}() was called before the plugin was started`,
      { hint: 'Pass the plugin to createHotReload({ plugins: [...] }) and await it before using the backup API.' },
    )
  }
}
