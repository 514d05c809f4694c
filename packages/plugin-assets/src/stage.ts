import { join } from 'node:path'
import { HotReloadError, type FileChange } from '@hotreload/core'
import { AssetCopyError, AssetReadError, describeFsError } from './errors.js'
import { digestFile, integrityOf, type AssetDigest } from './hash.js'
import { fingerprintedName } from './manifest.js'
import { copyTempFor, duplicateCopy, hasCopy, removeFile, writeCopy } from './output.js'
import type { ManifestEntry } from './types.js'

/** What staging needs to know; the plugin builds it per transaction. */
export interface StageContext {
  /** The committed manifest; never modified here. */
  readonly current: ReadonlyMap<string, ManifestEntry>
  /** Logical path of a root-relative path, or `undefined` when it is not one of the assets. */
  logicalOf(path: string): string | undefined
  readonly hashLength: number
  /** Absolute output directory when copies are made (and this is not a dry run). */
  readonly outputDir?: string
  readonly signal?: AbortSignal
  /**
   * Receives every temp file as soon as it is created, so whoever owns the transaction can
   * remove them even if staging is abandoned half-way.
   */
  readonly temps: string[]
  /** Called for every hash pass, to keep the counters honest. */
  onHashed(logicalPath: string, bytes: number): void
  /** Files hashed at once: enough to overlap I/O with hashing, few enough to keep memory small. */
  readonly concurrency?: number
  /**
   * The transaction's reader (`tx.read`): the bytes the core fingerprinted, from its memory for
   * small files. When given, small files are not read again and only sha384 is computed, since
   * the core's sha256 already describes exactly those bytes.
   */
  read?(change: FileChange): Promise<Buffer>
}

/**
 * Files up to this size are taken from the core's reader; larger ones are streamed from disk
 * here, so memory stays bounded however large an asset is.
 */
export const READ_VIA_CORE_LIMIT = 4 * 1024 * 1024

/** One asset whose entry changes, in the order the changes came. */
export interface AssetUpdate {
  readonly kind: 'created' | 'modified' | 'deleted' | 'renamed'
  readonly logicalPath: string
  readonly from?: string
  /** Root-relative paths the update came from. */
  readonly paths: readonly string[]
  readonly before?: ManifestEntry
  readonly after?: ManifestEntry
}

/** A copy written to a temp file during validate, renamed to `final` in apply. */
export interface StagedCopy {
  readonly logicalPath: string
  readonly temp: string
  readonly final: string
}

/** The next state, computed without touching the committed one. */
export interface StagedAssets {
  readonly entries: Map<string, ManifestEntry>
  readonly updates: AssetUpdate[]
  readonly copies: StagedCopy[]
  /** Logical paths read and hashed, in the order their hashing finished. */
  readonly hashed: string[]
  readonly reused: number
  /** Every asset that could not be read or copied; any of them rejects the transaction. */
  readonly errors: (AssetReadError | AssetCopyError)[]
}

type Op =
  | { readonly type: 'delete'; readonly logicalPath: string; readonly change: FileChange }
  | { readonly type: 'upsert'; readonly logicalPath: string; readonly change: FileChange }
  | { readonly type: 'rename'; readonly logicalPath: string; readonly from: string; readonly change: FileChange }

interface Resolved {
  readonly entry: ManifestEntry
  readonly copy?: StagedCopy
  readonly reused: boolean
}

/**
 * Computes the manifest that results from `changes`, reading only the assets that changed:
 * created and modified files are hashed (small ones from the core's reader, sha384 only; larger
 * ones streamed from disk, both hashes and the copy in one pass), deletions drop their entry, and renames of unchanged content move their entry without
 * reading the file. Read and copy failures are collected, one per asset, not thrown.
 */
export async function stageAssets(changes: readonly FileChange[], ctx: StageContext): Promise<StagedAssets> {
  const ops = planOps(changes, ctx)
  const staged: StagedAssets = { entries: new Map(ctx.current), updates: [], copies: [], hashed: [], reused: 0, errors: [] }
  const counting: StageContext = {
    ...ctx,
    onHashed(logicalPath, bytes) {
      staged.hashed.push(logicalPath)
      ctx.onHashed(logicalPath, bytes)
    },
  }
  const results = await mapLimit(ops, ctx.concurrency ?? 4, (op) => (op.type === 'delete' ? Promise.resolve(undefined) : resolveEntry(op, counting, staged)))
  let reused = 0
  ops.forEach((op, i) => {
    const result = results[i]
    const paths = op.type === 'rename' && op.change.from !== undefined ? [op.change.from, op.change.path] : [op.change.path]
    if (op.type === 'delete') {
      const before = staged.entries.get(op.logicalPath)
      if (!before) return
      staged.entries.delete(op.logicalPath)
      staged.updates.push({ kind: 'deleted', logicalPath: op.logicalPath, paths, before })
      return
    }
    if (!result) return
    if (result.copy) staged.copies.push(result.copy)
    if (result.reused) reused++
    if (op.type === 'rename') {
      const before = staged.entries.get(op.from)
      staged.entries.delete(op.from)
      staged.entries.set(op.logicalPath, result.entry)
      staged.updates.push({ kind: 'renamed', logicalPath: op.logicalPath, from: op.from, paths, ...(before ? { before } : {}), after: result.entry })
      return
    }
    const before = staged.entries.get(op.logicalPath)
    staged.entries.set(op.logicalPath, result.entry)
    // A forced reload of unchanged bytes keeps the same entry: no update, no event.
    if (before?.file === result.entry.file && before.integrity === result.entry.integrity) return
    staged.updates.push({ kind: before ? 'modified' : 'created', logicalPath: op.logicalPath, paths, ...(before ? { before } : {}), after: result.entry })
  })
  return { ...staged, reused }
}

/** Turns the claimed changes into manifest operations on logical paths. */
function planOps(changes: readonly FileChange[], ctx: StageContext): Op[] {
  const ops: Op[] = []
  for (const change of changes) {
    const logicalPath = ctx.logicalOf(change.path)
    if (change.kind === 'deleted') {
      if (logicalPath !== undefined) ops.push({ type: 'delete', logicalPath, change })
      continue
    }
    const from = change.kind === 'renamed' && change.from !== undefined ? ctx.logicalOf(change.from) : undefined
    if (from !== undefined && logicalPath === undefined) ops.push({ type: 'delete', logicalPath: from, change })
    else if (from !== undefined && logicalPath !== undefined && ctx.current.has(from)) ops.push({ type: 'rename', logicalPath, from, change })
    else if (logicalPath !== undefined) ops.push({ type: 'upsert', logicalPath, change })
  }
  return ops
}

async function resolveEntry(op: Exclude<Op, { type: 'delete' }>, ctx: StageContext, staged: StagedAssets): Promise<Resolved | undefined> {
  const { change } = op
  try {
    if (op.type === 'rename') {
      const previous = ctx.current.get(op.from)
      // The core's sha256 equals ours for the same bytes: a match means the content only moved.
      if (previous && change.fingerprint?.hash === previous.hash) {
        const entry: ManifestEntry = { ...previous, file: fingerprintedName(op.logicalPath, previous.hash, ctx.hashLength) }
        const copy = ctx.outputDir === undefined ? undefined : await stageDuplicate(ctx.outputDir, op.logicalPath, previous, entry, ctx.temps)
        if (copy !== null) return { entry, reused: true, ...(copy ? { copy } : {}) }
      }
    }
    return await hashEntry(op.logicalPath, change, ctx)
  } catch (error) {
    if (error instanceof AssetCopyError) {
      staged.errors.push(error)
    } else if (error instanceof HotReloadError) {
      // The core's reader already says what happened (the file changed or vanished since it was fingerprinted).
      staged.errors.push(new AssetReadError(`cannot read asset "${op.logicalPath}": ${error.message}`, { path: change.path, ...(error.hint ? { hint: error.hint } : {}), cause: error }))
    } else {
      const { reason, hint } = describeFsError(error)
      staged.errors.push(new AssetReadError(`cannot read asset "${op.logicalPath}": ${reason}`, { path: change.path, hint, cause: error }))
    }
    return undefined
  }
}

/**
 * Copies a renamed asset's existing copy to its new name. Resolves `undefined` when the new name
 * already exists, and `null` when the old copy is missing, so the caller hashes the file instead.
 */
async function stageDuplicate(outputDir: string, logicalPath: string, previous: ManifestEntry, entry: ManifestEntry, temps: string[]): Promise<StagedCopy | undefined | null> {
  const final = join(outputDir, entry.file)
  if (await hasCopy(final, entry.size)) return undefined
  const source = join(outputDir, previous.file)
  if (!(await hasCopy(source, previous.size))) return null
  const temp = await stagingPath(outputDir, entry.file)
  temps.push(temp)
  try {
    await duplicateCopy(source, temp)
  } catch (error) {
    const { reason, hint } = describeFsError(error)
    throw new AssetCopyError(`cannot write the fingerprinted copy ${temp}: ${reason}`, { path: temp, hint, cause: error })
  }
  return { logicalPath, temp, final }
}

/** Hashes one asset, writing its copy in the same pass when the output directory lacks it. */
async function hashEntry(logicalPath: string, change: FileChange, ctx: StageContext): Promise<Resolved> {
  const { outputDir, read } = ctx
  const fingerprint = change.fingerprint
  if (read && fingerprint && fingerprint.size <= READ_VIA_CORE_LIMIT) {
    const bytes = await read(change)
    ctx.onHashed(logicalPath, bytes.length)
    const entry: ManifestEntry = {
      file: fingerprintedName(logicalPath, fingerprint.hash, ctx.hashLength),
      hash: fingerprint.hash,
      size: bytes.length,
      integrity: integrityOf(bytes),
    }
    if (outputDir === undefined || (await hasCopy(join(outputDir, entry.file), entry.size))) return { entry, reused: false }
    const temp = await stagingPath(outputDir, entry.file)
    ctx.temps.push(temp)
    await writeCopy(temp, bytes)
    return { entry, reused: false, copy: { logicalPath, temp, final: join(outputDir, entry.file) } }
  }

  const digest = async (copyTo?: string): Promise<AssetDigest> => {
    if (copyTo !== undefined) ctx.temps.push(copyTo)
    const d = await digestFile(change.absolutePath, { ...(copyTo ? { copyTo } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) })
    ctx.onHashed(logicalPath, d.size)
    return d
  }
  if (outputDir === undefined) return { entry: toEntry(logicalPath, await digest(), ctx.hashLength), reused: false }

  // The core's fingerprint predicts the name: when that copy already exists, read once, write nothing.
  const predicted = fingerprint ? fingerprintedName(logicalPath, fingerprint.hash, ctx.hashLength) : undefined
  const predictedExists = predicted !== undefined && fingerprint !== undefined && (await hasCopy(join(outputDir, predicted), fingerprint.size))
  let temp = predictedExists ? undefined : await stagingPath(outputDir, logicalPath)
  let entry = toEntry(logicalPath, await digest(temp), ctx.hashLength)
  if (temp === undefined && entry.file !== predicted && !(await hasCopy(join(outputDir, entry.file), entry.size))) {
    // The file changed after the core fingerprinted it, and this content has no copy yet.
    temp = await stagingPath(outputDir, logicalPath)
    entry = toEntry(logicalPath, await digest(temp), ctx.hashLength)
  }
  if (temp === undefined) return { entry, reused: false }
  const final = join(outputDir, entry.file)
  if (await hasCopy(final, entry.size)) {
    await removeFile(temp)
    return { entry, reused: false }
  }
  return { entry, reused: false, copy: { logicalPath, temp, final } }
}

function toEntry(logicalPath: string, d: AssetDigest, hashLength: number): ManifestEntry {
  return { file: fingerprintedName(logicalPath, d.sha256, hashLength), hash: d.sha256, size: d.size, integrity: d.integrity }
}

async function stagingPath(outputDir: string, file: string): Promise<string> {
  try {
    return await copyTempFor(outputDir, file)
  } catch (error) {
    const { reason, hint } = describeFsError(error)
    throw new AssetCopyError(`cannot create the output directory for "${file}" under ${outputDir}: ${reason}`, { path: outputDir, hint, cause: error })
  }
}

/** Runs `fn` over `items` with at most `limit` at once; results keep the input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
