import type { Plugin, PluginCommand, TransactionRecord } from '@hotreload/core'
// The events this plugin emits are declared on PluginEventMap there.
import type {} from './events.js'

/** Limits on what backups are kept. Every limit is optional; none set keeps everything. */
export interface RetentionPolicy {
  /** Keep at most this many backups per file (the newest ones). At least 1. */
  readonly keepVersions?: number
  /** Drop backups older than this many milliseconds. */
  readonly maxAgeMs?: number
  /**
   * Drop the oldest backups until the distinct contents they reference add up to at most this
   * many bytes. Content that is still the current version of a watched file is not counted:
   * it mirrors the working tree.
   */
  readonly maxTotalBytes?: number
}

/** Options of `backupPlugin()`. */
export interface BackupOptions extends RetentionPolicy {
  /** Plugin name, shown in events and errors, and the CLI command; give each instance its own. Default `backup`. */
  readonly name?: string
  /** Output folder of the backups, relative to the root or absolute. Default `.hotreload/backups`. */
  readonly outDir?: string
  /**
   * What a backup that cannot be written does to the transaction: `block` (default) rolls it
   * back, so no version is ever lost silently; `warn` applies it anyway and emits
   * `backup:failed`.
   */
  readonly onError?: 'block' | 'warn'
}

/** Why the content was replaced: by an edit, a deletion, a rename away, or by `restore()`. */
export type BackupKind = 'modified' | 'deleted' | 'renamed' | 'restored'

/** One backup: the content `path` had before the transaction that committed as `version`. */
export interface BackupRecord {
  /**
   * The version of the transaction that replaced this content; `restore(path, version)` brings
   * this content back. Versions are never reused for a root, across restarts too. For
   * `restored`, the version the restore's own transaction was to commit as.
   */
  readonly version: number
  /** ISO time the backup was taken. */
  readonly time: string
  /** Root-relative path, `/`-separated, the content was at. */
  readonly path: string
  readonly kind: BackupKind
  /** sha256 of the content, its address in the object store. */
  readonly hash: string
  readonly size: number
}

/** Options of `restore()`. */
export interface RestoreOptions {
  /**
   * The backup's sha256, or a prefix of it: picks one backup when several contents share a
   * version (a restore taken over an edit that had not applied, and the applied content).
   */
  readonly hash?: string
}

/** What one `prune()` removed. */
export interface PruneResult {
  /** Index records dropped by the retention limits. */
  readonly removedBackups: number
  /** Stored contents no kept backup and no current file referred to any more. */
  readonly removedObjects: number
  readonly freedBytes: number
  /** Backups left after the pass. */
  readonly keptBackups: number
}

/**
 * The backup plugin, which is also its API. Pass it to `createHotReload({ plugins })`; once that
 * resolved, `list`, `restore` and `prune` work on the instance it was applied to.
 */
export interface BackupPlugin extends Plugin {
  /**
   * `hotreload <name> list|restore|prune`. `list` is read-only (the CLI runs it on a dry-run
   * instance, reading the index on disk); `restore` and `prune` change things.
   */
  readonly command: PluginCommand
  /** The absolute backup directory. Throws before the plugin was applied. */
  directory(): string
  /**
   * Every backup, oldest first; only those of `path` (root-relative) when given. Resolves from
   * the index on disk, so backups taken by other processes on the same directory are included.
   * Reads only: it works on a dry-run instance too.
   */
  list(path?: string): Promise<BackupRecord[]>
  /**
   * Writes the content `path` had before version `version` back to the file, atomically, then
   * runs the normal transaction for that path (reason `restore`, forced, so it runs even if the
   * watcher applied the write first) and resolves with its record: `applied` (`unchanged` when
   * the file already held that content and nothing was written), or `rejected` with the
   * problems when that content does not validate (the running state stays as it was, the
   * restored bytes stay on disk as an edit would). The content the file had just before is
   * backed up first (kind `restored`), so a restore never loses anything. Throws
   * `BackupNotFoundError` when there is no such backup, `BackupAmbiguousError` when different
   * contents of the file share that version (pass `options.hash`), `BackupPathError` for a
   * path outside the root, `BackupCorruptError` when the stored content is damaged.
   */
  restore(path: string, version: number, options?: RestoreOptions): Promise<TransactionRecord>
  /**
   * Applies the retention limits (the plugin's options, or `policy` instead), rewrites the index
   * and deletes contents nothing refers to any more. Never removes a file's newest backup nor
   * the current content of a watched file.
   */
  prune(policy?: RetentionPolicy): Promise<PruneResult>
}
