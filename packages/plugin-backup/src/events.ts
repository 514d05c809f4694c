import type { ErrorInfo, EventBase, TransactionStatus } from '@hotreload/core'
import type { BackupRecord } from './types.js'

/** Backups were taken for the files a transaction replaced; delivered after it commits. */
export interface BackupCreatedEvent extends EventBase {
  readonly type: 'backup:created'
  readonly backups: readonly BackupRecord[]
}

/**
 * A backup could not be taken. With `onError: 'warn'` the transaction went on without it;
 * also emitted (whatever `onError` says) when a file's previous content was already missing
 * from the store, since blocking could not bring it back.
 */
export interface BackupFailedEvent extends EventBase {
  readonly type: 'backup:failed'
  readonly error: ErrorInfo
}

/** `restore()` wrote a backup back and ran its transaction, which ended with `status`. */
export interface BackupRestoredEvent extends EventBase {
  readonly type: 'backup:restored'
  readonly restored: BackupRecord
  readonly status: TransactionStatus
}

/** A retention pass removed backups and/or unreferenced objects. */
export interface BackupPrunedEvent extends EventBase {
  readonly type: 'backup:pruned'
  readonly removedBackups: number
  readonly removedObjects: number
  readonly freedBytes: number
}

declare module '@hotreload/core' {
  interface PluginEventMap {
    'backup:created': BackupCreatedEvent
    'backup:failed': BackupFailedEvent
    'backup:restored': BackupRestoredEvent
    'backup:pruned': BackupPrunedEvent
  }
}
