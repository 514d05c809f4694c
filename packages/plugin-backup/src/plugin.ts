import { randomUUID } from 'node:crypto'
import { mkdir, readFile, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import {
  createStagingKey,
  HotReloadError,
  toErrorInfo,
  writeFileAtomic,
  type FileChange,
  type Kernel,
  type PluginCommand,
  type Transaction,
  type TransactionRecord,
} from '@hotreload/core'
import { AppliedState } from './applied-state.js'
import { createBackupCommand } from './commands.js'
import { BackupAmbiguousError, BackupNotFoundError, BackupNotStartedError, BackupOptionsError, BackupWriteError } from './errors.js'
import { BackupIndex, type IndexEntry } from './index-log.js'
import { resolveBackupOptions, type ResolvedBackupOptions } from './options.js'
import { isInside, toProjectPath } from './paths.js'
import { hasLimits, planRetention } from './retention.js'
import { ContentStore, describe, hashBytes, isHash, isMissing, type StoredObject } from './store.js'
import type { BackupOptions, BackupPlugin, BackupRecord, PruneResult, RestoreOptions, RetentionPolicy } from './types.js'

interface Started {
  readonly kernel: Kernel
  readonly store: ContentStore
  readonly index: BackupIndex
  readonly applied: AppliedState
}

class BackupPluginImpl implements BackupPlugin {
  readonly name: string
  readonly command: PluginCommand
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
  /** This instance's staged batch, from apply to commit. */
  private readonly key = createStagingKey<{ readonly batch: string; readonly marked: boolean; readonly writeApplied: boolean }>('backup')
  /** Batches whose commit line could not be written yet; the next commit writes them. */
  private unmarked: string[] = []
  private queue: Promise<unknown> = Promise.resolve()

  constructor(options: BackupOptions) {
    this.options = resolveBackupOptions(options)
    this.name = this.options.name
    this.command = createBackupCommand(this.name, this)
  }

  /**
   * Taps the hooks. Reads `applied.json` and writes nothing: in a dry run (and `hotreload check`,
   * `hotreload backup list`) no apply runs, so nothing is backed up or written.
   */
  async apply(kernel: Kernel): Promise<void> {
    const dir = resolve(kernel.root, this.options.outDir)
    if (isInside(dir, kernel.root)) {
      // The directory is excluded from watching: at or above the root it would hide every file.
      throw new BackupOptionsError(`backupPlugin(): "outDir" ${dir} contains the project root ${kernel.root}`, {
        hint: 'Use a directory of its own, e.g. the default ".hotreload/backups".',
      })
    }
    const applied = new AppliedState(join(dir, 'applied.json'))
    this.state = { kernel, store: new ContentStore(dir), index: new BackupIndex(join(dir, 'index.jsonl')), applied }
    this.current = await applied.read((message) => kernel.log.warn(`${this.name}: ${message}`))
    // Our own writes must never come back as changes, wherever the directory is.
    kernel.exclude([dir])
    // Object and index temps a crash left behind (see kernel.sweepTemps).
    await kernel.sweepTemps(dir, { recursive: true })
    // Every file's previous content is kept, so the plugin takes part in every change: claiming
    // them (last, after other taps may have dropped some) names it in the record's plugins.
    kernel.hooks.detect.tap({ name: this.name, stage: 100 }, (changes, tx) => {
      for (const change of changes) tx.claim(this.name, change)
      return changes
    })
    // Stage -100: the backup is safe before any other plugin swaps its state in.
    kernel.hooks.apply.tapPromise({ name: this.name, stage: -100 }, (tx) => this.serial(() => this.backUp(tx)))
    kernel.hooks.commit.tapPromise(this.name, (tx) => this.serial(() => this.settle(tx)))
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
    const result = await kernel.reload({ paths: [rel], force: wrote, reason: 'restore' })
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
    const { store, index } = this.started('apply')
    const batch = randomUUID()
    const before = new Map(this.current)
    const wasReconciled = this.reconciled
    let wrote = false
    tx.onRollback(this.name, async () => {
      this.current = before
      this.reconciled = wasReconciled
      // The pending lines never count without a commit line; the revoke lets prune drop them.
      if (wrote) await index.revoke(batch)
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
      // Pending until the commit tap marks the batch: list() never shows a backup of a
      // transaction that has not committed, in this process or another.
      await index.append(entries, { pending: true })
      tx.stage(this.key, { batch, marked: entries.length > 0, writeApplied: true })
    } catch (error) {
      const failure =
        error instanceof HotReloadError ? error : new BackupWriteError(`could not back up ${pathsOf(tx.changes).join(', ')}: ${describe(error)}`, { cause: error })
      if (this.options.onError === 'block') throw failure
      this.current = trackWithoutStore(before, tx.changes)
      this.reconciled = true
      tx.stage(this.key, { batch, marked: false, writeApplied: false })
      this.report(tx, failure, pathsOf(tx.changes))
      return
    }
    if (missing.length > 0) {
      this.report(
        tx,
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

  /**
   * The commit tap: marks this transaction's index lines (and any an earlier commit could not
   * mark) as committed, and records what the files now hold in `applied.json` for the next
   * process. It cannot fail the transaction; a failure is an `error` event and is retried at
   * the next commit.
   */
  private async settle(tx: Transaction): Promise<void> {
    const staged = tx.staged(this.key)
    if (!staged) return
    const { index, applied } = this.started('commit')
    const batches = [...this.unmarked, ...(staged.marked ? [staged.batch] : [])]
    try {
      await index.commit(batches)
      this.unmarked = []
    } catch (error) {
      this.unmarked = batches
      throw error
    }
    if (staged.writeApplied) await applied.write(this.current)
  }

  /** Logged now; the event is delivered with the transaction's, only if it commits. */
  private report(tx: Transaction, error: HotReloadError, paths: readonly string[]): void {
    this.started('apply').kernel.log.warn(`${this.name}: ${error.message}`)
    tx.emit({ type: 'backup:failed', paths, error: toErrorInfo(error, { plugin: this.name }) })
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
 * file had, content-addressed under `outDir` (default `.hotreload/backups`), indexed by version;
 * see `BackupPlugin` for the API and `BackupOptions` for retention and error handling.
 * Throws the core's `OptionsError` for unknown or ill-typed options.
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
