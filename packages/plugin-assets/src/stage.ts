import { dirname, join } from 'node:path'
import { HotReloadError, mapLimit, type FileChange } from '@hotreload/core'
import { AssetCopyError, AssetReadError } from './errors.js'
import { describeFsError } from './fs-reason.js'
import { digestFile, integrityOfAsync, type AssetDigest } from './hash.js'
import { fingerprintedName } from './manifest.js'
import { checkWritableDir, hasCopy } from './output.js'
import type { ManifestEntry } from './types.js'

/** What staging needs to know; the plugin builds it per transaction. */
export interface StageContext {
  /** The committed manifest; never modified here. */
  readonly current: ReadonlyMap<string, ManifestEntry>
  /** Logical path of a root-relative path, or `undefined` when it is not one of the assets. */
  logicalOf(path: string): string | undefined
  readonly hashLength: number
  /** Absolute output directory when copies are kept: the copies missing there are planned. */
  readonly outDir?: string
  readonly signal?: AbortSignal
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

/**
 * A copy `outDir` lacks, planned in validate (which writes nothing) and written to a temp file
 * in apply: from the bytes the core fingerprinted (`bytes`), streamed from disk and checked
 * against the staged hash (`stream`, files over READ_VIA_CORE_LIMIT), or duplicated from the
 * existing copy of a renamed asset (`duplicate`). Renamed into place as `final` in commit.
 */
export type CopyPlan =
  | { readonly kind: 'bytes'; readonly logicalPath: string; readonly final: string; readonly change: FileChange }
  | { readonly kind: 'stream'; readonly logicalPath: string; readonly final: string; readonly change: FileChange; readonly hash: string }
  | { readonly kind: 'duplicate'; readonly logicalPath: string; readonly final: string; readonly source: string }

/** The next state, computed without touching the committed one. */
export interface StagedAssets {
  readonly entries: Map<string, ManifestEntry>
  readonly updates: AssetUpdate[]
  readonly copies: CopyPlan[]
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
  readonly copy?: CopyPlan
  readonly reused: boolean
}

/**
 * Computes the manifest that results from `changes`, reading only the assets that changed, and
 * writing nothing anywhere: created and modified files are hashed (small ones from the core's
 * reader, sha384 only; larger ones streamed from disk, both hashes in one pass), deletions drop
 * their entry, and renames of unchanged content move their entry without reading the file. With
 * `outDir`, the copies it lacks are planned and their directories checked to be writable. Read
 * and copy problems are collected, one per asset, not thrown.
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
  const writable = new WritableCache()
  const results = await mapLimit(ops, ctx.concurrency ?? 8, (op) => (op.type === 'delete' ? Promise.resolve(undefined) : resolveEntry(op, counting, staged, writable)))
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

async function resolveEntry(op: Exclude<Op, { type: 'delete' }>, ctx: StageContext, staged: StagedAssets, writable: WritableCache): Promise<Resolved | undefined> {
  const { change } = op
  try {
    let resolved: Resolved | undefined
    if (op.type === 'rename') {
      const previous = ctx.current.get(op.from)
      // The core's sha256 equals ours for the same bytes: a match means the content only moved.
      if (previous && change.fingerprint?.hash === previous.hash) {
        resolved = { entry: { ...previous, file: fingerprintedName(op.logicalPath, previous.hash, ctx.hashLength) }, reused: true }
      }
    }
    resolved ??= { entry: await hashEntry(op.logicalPath, change, ctx), reused: false }
    if (ctx.outDir === undefined) return resolved
    const copy = await planCopy(ctx.outDir, op, resolved, ctx)
    if (copy) await writable.check(ctx.outDir, copy)
    return copy ? { ...resolved, copy } : resolved
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

/** The copy `outDir` lacks for this entry, if any: an existing copy with its name and size is that content. */
async function planCopy(outDir: string, op: Exclude<Op, { type: 'delete' }>, resolved: Resolved, ctx: StageContext): Promise<CopyPlan | undefined> {
  const { entry } = resolved
  const final = join(outDir, entry.file)
  if (await hasCopy(final, entry.size)) return undefined
  if (op.type === 'rename' && resolved.reused) {
    const previous = ctx.current.get(op.from)
    const source = previous ? join(outDir, previous.file) : undefined
    if (source !== undefined && previous && (await hasCopy(source, previous.size))) return { kind: 'duplicate', logicalPath: op.logicalPath, final, source }
  }
  const viaCore = ctx.read !== undefined && op.change.fingerprint !== undefined && op.change.fingerprint.size <= READ_VIA_CORE_LIMIT
  return viaCore
    ? { kind: 'bytes', logicalPath: op.logicalPath, final, change: op.change }
    : { kind: 'stream', logicalPath: op.logicalPath, final, change: op.change, hash: entry.hash }
}

/** Checks each copy directory once per transaction, without creating it. */
class WritableCache {
  private readonly answers = new Map<string, Promise<NodeJS.ErrnoException | undefined>>()

  async check(outDir: string, copy: CopyPlan): Promise<void> {
    const dir = dirname(copy.final)
    let answer = this.answers.get(dir)
    if (!answer) this.answers.set(dir, (answer = checkWritableDir(dir, 'EEXIST')))
    const error = await answer
    if (!error) return
    const { reason, hint } = describeFsError(error)
    const file = copy.final.slice(outDir.length + 1)
    throw new AssetCopyError(`cannot create the output directory for "${file}" under ${outDir}: ${reason}`, { path: outDir, hint, cause: error })
  }
}

/** Hashes one asset: small files from the core's reader (sha384 only), larger ones streamed. */
async function hashEntry(logicalPath: string, change: FileChange, ctx: StageContext): Promise<ManifestEntry> {
  const fingerprint = change.fingerprint
  if (ctx.read && fingerprint && fingerprint.size <= READ_VIA_CORE_LIMIT) {
    const bytes = await ctx.read(change)
    ctx.onHashed(logicalPath, bytes.length)
    return {
      file: fingerprintedName(logicalPath, fingerprint.hash, ctx.hashLength),
      hash: fingerprint.hash,
      size: bytes.length,
      integrity: await integrityOfAsync(bytes),
    }
  }
  const d = await digestFile(change.absolutePath, ctx.signal ? { signal: ctx.signal } : {})
  ctx.onHashed(logicalPath, d.size)
  return toEntry(logicalPath, d, ctx.hashLength)
}

function toEntry(logicalPath: string, d: AssetDigest, hashLength: number): ManifestEntry {
  return { file: fingerprintedName(logicalPath, d.sha256, hashLength), hash: d.sha256, size: d.size, integrity: d.integrity }
}

