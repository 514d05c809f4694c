import { randomUUID } from 'node:crypto'
import { mkdir, readFile, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import {
  HotReloadError,
  PluginError,
  toErrorInfo,
  writeFileAtomic,
  type FileChange,
  type Kernel,
  type Plugin,
  type PluginCommand,
  type Transaction,
  type TransactionRecord,
} from '@hotreload/core'
import { createBackupCommands } from './commands.js'
import { BackupAmbiguousError, BackupNotFoundError, BackupNotStartedError, BackupOptionsError, BackupWriteError } from './errors.js'
import { AppliedState } from './applied-state.js'
import { BackupIndex, type BackupRecord, type IndexEntry } from './index-log.js'
import { resolveBackupOptions, type BackupOptions, type ResolvedBackupOptions } from './options.js'
import { isInside, toProjectPath } from './paths.js'
import { hasLimits, planRetention, type RetentionPolicy } from './retention.js'
import { ContentStore, describe, hashBytes, isHash, isMissing, type StoredObject } from './store.js'
// The events this plugin emits are declared on PluginEventMap there; nothing to load at run time.
import type {} from './events.js'

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
  /** `hotreload backup list|restore|prune`. */
  readonly commands: Readonly<Record<string, PluginCommand>>
  /** The absolute backup directory. Throws before the plugin was applied. */
  directory(): string
  /**
   * Every backup, oldest first; only those of `path` (root-relative) when given. Resolves from
   * the index on disk, so backups taken by other processes on the same directory are included.
   */
  list(path?: string): Promise<BackupRecord[]>
  /**
   * Writes the content `path` had before version `version` back to the file, atomically, then
   * runs the normal transaction for that path (forced, so it runs even if the watcher applied
   * the write first) and resolves with its record: `applied` (`unchanged` when the file already
   * held that content and nothing was written), or
   * `rejected` with the problems when that content does not validate (the running state stays
   * as it was, the restored bytes stay on disk as an edit would). The content the file had just
   * before is backed up first (kind `restored`), so a restore never loses anything. Throws
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

interface Started {
  readonly kernel: Kernel
  readonly store: ContentStore
  readonly index: BackupIndex
  readonly applied: AppliedState
}

class BackupPluginImpl implements BackupPlugin {
  readonly name: string
  readonly commands: Readonly<Record<string, PluginCommand>>
  private readonly options: ResolvedBackupOptions
  private state: Started | undefined
  private closed = false
  /** The content each watched file had at the last applied transaction, by root-relative path. */
  private current = new Map<string, StoredObject>()
  /** Contents `restore()` already backed up under a path, so the restore's transaction does not record them twice. */
  private readonly restoredFrom = new Map<string, string>()
  /** Set once a transaction of this process applied: files missing since the last run are then known. */
  private reconciled = false
  private backedUpSincePrune = false
  private queue: Promise<unknown> = Promise.resolve()

  constructor(options: BackupOptions) {
    this.options = resolveBackupOptions(options)
    this.name = this.options.name
    this.commands = createBackupCommands(this)
  }

  async apply(kernel: Kernel): Promise<void> {
    if (this.state) {
      throw new PluginError(`backup plugin "${this.name}" is already applied to an instance rooted at ${this.state.kernel.root}`, {
        hint: 'Create one backupPlugin() per createHotReload() call.',
      })
    }
    const dir = resolve(kernel.root, this.options.dir)
    if (isInside(dir, kernel.root)) {
      // The directory is excluded from watching: at or above the root it would hide every file.
      throw new BackupOptionsError(`backupPlugin(): "dir" ${dir} contains the project root ${kernel.root}`, {
        hint: 'Use a directory of its own, e.g. the default ".hotreload/backups".',
      })
    }
    const applied = new AppliedState(join(dir, 'applied.json'))
    this.state = { kernel, store: new ContentStore(dir), index: new BackupIndex(join(dir, 'index.jsonl')), applied }
    this.current = await applied.read((message) => kernel.log.warn(`${this.name}: ${message}`))
    // Our own writes must never come back as changes, wherever the directory is.
    kernel.exclude([dir])
    // Every file's previous content is kept, so the plugin takes part in every change: claiming
    // them (last, after other taps may have dropped some) names it in the record's plugins.
    kernel.hooks.detect.tap({ name: this.name, stage: 100 }, (changes, tx) => {
      for (const change of changes) tx.claim(this.name, change)
      return changes
    })
    // Stage -100: the backup is safe before any other plugin swaps its state in.
    kernel.hooks.apply.tapPromise({ name: this.name, stage: -100 }, (tx) => this.serial(() => this.backUp(tx)))
    kernel.hooks.notify.tapPromise(this.name, async (record) => {
      if (record.status !== 'applied' || !this.backedUpSincePrune || !hasLimits(this.options)) return
      await this.prune()
    })
    kernel.onClose(async () => {
      this.closed = true
      await this.queue
    })
  }

  directory(): string {
    return this.started('directory').store.dir
  }

  async list(path?: string): Promise<BackupRecord[]> {
    const { kernel, index } = this.started('list')
    const rel = path === undefined ? undefined : toProjectPath(kernel.root, path).rel
    const { entries, badLines } = await index.read()
    if (badLines.length > 0) {
      kernel.log.warn(`${index.file}: skipped ${badLines.length} damaged line(s) (${badLines.map((b) => b.line).join(', ')})`)
    }
    return entries.filter((e) => rel === undefined || e.path === rel).map(toRecord)
  }

  async restore(path: string, version: number, options: RestoreOptions = {}): Promise<TransactionRecord> {
    const { kernel, store, index } = this.started('restore')
    const { rel, abs } = toProjectPath(kernel.root, path)
    const record = pickBackup(rel, await this.list(rel), version, options.hash)
    const bytes = await store.get(record.hash)
    const wrote = await this.serial(async () => {
      const existing = await readIfExists(abs)
      if (existing && hashBytes(existing.bytes) === record.hash) return false
      if (existing) {
        // What is on disk may be an edit that never applied: keep it before writing over it.
        await store.ensure()
        const saved = await store.put(existing.bytes)
        await index.append([
          { version: kernel.version() + 1, time: new Date().toISOString(), path: rel, kind: 'restored', hash: saved.hash, size: saved.size, batch: randomUUID() },
        ])
        this.restoredFrom.set(rel, saved.hash)
      }
      await mkdir(dirname(abs), { recursive: true })
      await writeFileAtomic(abs, bytes, { mode: existing?.mode ?? 0o644 })
      return true
    })
    // Forced: if the watcher saw the write first and applied it, the bytes would already match
    // and a plain reload would say `unchanged` instead of how the restored content validates.
    const result = await kernel.reload({ paths: [rel], force: wrote })
    if (wrote) kernel.emit({ type: 'backup:restored', paths: [rel], restored: record, status: result.status })
    return result
  }

  async prune(policy: RetentionPolicy = this.options): Promise<PruneResult> {
    const { kernel, store, index } = this.started('prune')
    const result = await this.serial(async () => {
      const live = new Set([...this.current.values()].map((o) => o.hash))
      let removedBackups = 0
      let keptBackups = 0
      await index.compact(({ entries }) => {
        const plan = planRetention(entries, policy, { live })
        removedBackups = plan.drop.length
        keptBackups = plan.keep.length
        return plan.keep
      })
      // Read back rather than trust the plan: lines another process appended meanwhile count too.
      const kept = await index.read()
      const protectedHashes = new Set([...live, ...kept.entries.map((e) => e.hash)])
      // A damaged line may still name content someone wants: never collect what it mentions.
      for (const b of kept.badLines) for (const h of b.text.match(/[0-9a-f]{64}/g) ?? []) protectedHashes.add(h)
      let removedObjects = 0
      let freedBytes = 0
      for (const object of await store.list()) {
        if (protectedHashes.has(object.hash)) continue
        freedBytes += await store.remove(object.hash)
        removedObjects++
      }
      this.backedUpSincePrune = false
      return { removedBackups, removedObjects, freedBytes, keptBackups }
    })
    if (result.removedBackups > 0 || result.removedObjects > 0) {
      kernel.emit({ type: 'backup:pruned', paths: [], removedBackups: result.removedBackups, removedObjects: result.removedObjects, freedBytes: result.freedBytes })
    }
    return result
  }

  /**
   * The apply tap: records the previous content of every replaced file (already in the store,
   * put there when it was applied) and stores the new content of every created, modified or
   * renamed file, so the next transaction finds it. Registers its undo before writing anything.
   */
  private async backUp(tx: Transaction): Promise<void> {
    const { kernel, store, index, applied } = this.started('apply')
    const batch = randomUUID()
    const before = new Map(this.current)
    const wasReconciled = this.reconciled
    let wrote = false
    tx.onRollback(this.name, async () => {
      this.current = before
      this.reconciled = wasReconciled
      if (!wrote) return
      // Both, even if one fails: each is one more thing the next process would get wrong.
      const undone = await Promise.allSettled([index.revoke(batch), applied.write(before)])
      for (const result of undone) if (result.status === 'rejected') throw result.reason
    })
    const time = new Date().toISOString()
    const entries: IndexEntry[] = []
    const missing: string[] = []
    const record = async (path: string, kind: IndexEntry['kind'], previous: StoredObject | undefined, replacement?: string) => {
      // restore() may have recorded this very content a moment ago.
      if (!previous || previous.hash === replacement || this.restoredFrom.get(path) === previous.hash) return
      if (await store.has(previous.hash)) entries.push({ version: tx.version, time, path, kind, hash: previous.hash, size: previous.size, batch })
      else missing.push(path)
    }
    try {
      await store.ensure()
      const touched = new Set<string>()
      for (const change of tx.changes) {
        touched.add(change.path)
        const stored = change.kind === 'deleted' ? undefined : await store.put(await tx.read(change))
        if (change.kind === 'renamed' && change.from !== undefined) {
          touched.add(change.from)
          await record(change.from, 'renamed', this.previousOf(change.from, change))
          // A rename onto an existing file replaces that file's content too.
          await record(change.path, 'modified', this.current.get(change.path), stored?.hash)
          this.current.delete(change.from)
        } else {
          // A `created` file we already knew is one that changed while no process was watching.
          await record(change.path, change.kind === 'deleted' ? 'deleted' : 'modified', this.previousOf(change.path, change), stored?.hash)
        }
        if (stored) this.current.set(change.path, { hash: stored.hash, size: stored.size })
        else this.current.delete(change.path)
        this.restoredFrom.delete(change.path)
      }
      if (!this.reconciled) await this.recordVanished(touched, record)
      this.reconciled = true
      wrote = true
      await index.append(entries)
      await applied.write(this.current)
    } catch (error) {
      const failure =
        error instanceof HotReloadError ? error : new BackupWriteError(`could not back up ${pathsOf(tx.changes).join(', ')}: ${describe(error)}`, { cause: error })
      if (this.options.onError === 'block') throw failure
      this.current = trackWithoutStore(before, tx.changes)
      this.reconciled = true
      this.report(kernel, failure, pathsOf(tx.changes))
      return
    }
    if (missing.length > 0) {
      this.report(
        kernel,
        new BackupWriteError(`the previous content of ${missing.join(', ')} was not in the backup store, so it could not be backed up`, {
          path: missing[0],
          hint: 'Something removed objects from the backup directory; later versions are backed up again.',
        }),
        missing,
      )
    }
    if (entries.length > 0) {
      this.backedUpSincePrune = true
      tx.emit({ type: 'backup:created', paths: entries.map((e) => e.path), backups: entries.map(toRecord) })
    }
  }

  /**
   * The first transaction this process applies: files the last process knew that are gone now
   * were deleted while nothing watched, so their last content is backed up as `deleted`.
   * Files that exist but were not in the transaction are no longer watched and are forgotten.
   */
  private async recordVanished(
    touched: ReadonlySet<string>,
    record: (path: string, kind: IndexEntry['kind'], previous: StoredObject | undefined) => Promise<void>,
  ): Promise<void> {
    const { kernel } = this.started('apply')
    for (const [path, previous] of [...this.current]) {
      if (touched.has(path)) continue
      let exists: boolean
      try {
        exists = (await stat(toProjectPath(kernel.root, path).abs)).isFile()
      } catch (error) {
        if (!isMissing(error)) throw error
        exists = false
      }
      if (!exists) await record(path, 'deleted', previous)
      this.current.delete(path)
    }
  }

  private previousOf(path: string, change: FileChange): StoredObject | undefined {
    const known = this.current.get(path)
    if (known) return known
    // Only reachable if the kernel knew a version this plugin never saw applied.
    const prev = change.previous
    return prev && isHash(prev.hash) ? { hash: prev.hash, size: prev.size } : undefined
  }

  private report(kernel: Kernel, error: HotReloadError, paths: readonly string[]): void {
    kernel.log.warn(`${this.name}: ${error.message}`)
    kernel.emit({ type: 'backup:failed', paths, error: toErrorInfo(error, { plugin: this.name }) })
  }

  private started(what: string): Started {
    if (this.closed) throw new BackupNotStartedError(what, 'closed')
    if (!this.state) throw new BackupNotStartedError(what, 'not-started')
    return this.state
  }

  /** Runs store and index work one at a time: an apply, a prune and a restore never interleave. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work)
    // The caller awaits `run` and handles its error; the queue only needs to know it settled.
    this.queue = Promise.allSettled([run])
    return run
  }
}

/**
 * Creates the backup plugin. Before every apply it keeps the content each changed or deleted
 * file had, content-addressed under `dir` (default `.hotreload/backups`), indexed by version;
 * see `BackupPlugin` for the API and `BackupOptions` for retention and error handling.
 * Throws `BackupOptionsError` for invalid options.
 */
export function backupPlugin(options: BackupOptions = {}): BackupPlugin {
  return new BackupPluginImpl(options)
}

/** The backup `restore(path, version, { hash })` means, or the error saying why there is none. */
function pickBackup(path: string, candidates: readonly BackupRecord[], version: number, hash: string | undefined): BackupRecord {
  const matches = candidates.filter((r) => r.version === version && (hash === undefined || r.hash.startsWith(hash.toLowerCase())))
  const contents = [...new Map(matches.map((r) => [r.hash, r])).values()]
  const [only] = contents
  if (only && contents.length === 1) return only
  if (contents.length > 1) {
    throw new BackupAmbiguousError(`version ${version} of ${path} has ${contents.length} different backups: ${contents.map((r) => `${r.kind} ${r.hash.slice(0, 12)}`).join(', ')}`, {
      path,
      hint: 'Pick one by its hash (restore(path, version, { hash }) or --hash <prefix>).',
    })
  }
  const versions = [...new Set(candidates.map((r) => r.version))]
  throw new BackupNotFoundError(`no backup of ${path} at version ${String(version)}${hash === undefined ? '' : ` with hash ${hash}`}`, {
    path,
    hint: versions.length > 0 ? `Backups of ${path} exist for versions ${versions.join(', ')}.` : `There is no backup of ${path} at all; see \`hotreload backup list\`.`,
  })
}

function toRecord(entry: IndexEntry): BackupRecord {
  const { version, time, path, kind, hash, size } = entry
  return { version, time, path, kind, hash, size }
}

function pathsOf(changes: readonly FileChange[]): string[] {
  return [...new Set(changes.flatMap((c) => (c.from === undefined ? [c.path] : [c.from, c.path])))]
}

/** Without a store the map can still follow the files, from the kernel's fingerprints. */
function trackWithoutStore(before: ReadonlyMap<string, StoredObject>, changes: readonly FileChange[]): Map<string, StoredObject> {
  const next = new Map(before)
  for (const c of changes) {
    if (c.from !== undefined) next.delete(c.from)
    if (c.kind === 'deleted' || !c.fingerprint || !isHash(c.fingerprint.hash)) next.delete(c.path)
    else next.set(c.path, { hash: c.fingerprint.hash, size: c.fingerprint.size })
  }
  return next
}

async function readIfExists(path: string): Promise<{ bytes: Buffer; mode: number } | undefined> {
  try {
    const [bytes, info] = await Promise.all([readFile(path), stat(path)])
    return { bytes, mode: info.mode & 0o777 }
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
}
