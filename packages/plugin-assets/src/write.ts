import type { FileChange } from '@hotreload/core'
import { AssetCopyError } from './errors.js'
import { describeFsError } from './fs-reason.js'
import { digestFile } from './hash.js'
import { copyTempFor, duplicateCopy, writeCopy } from './output.js'
import type { CopyPlan } from './stage.js'

/** A copy written to a hidden temp file in apply, renamed to `final` in commit. */
export interface WrittenCopy {
  readonly logicalPath: string
  readonly temp: string
  readonly final: string
}

/** What writing a planned copy needs from the transaction. */
export interface WriteContext {
  /** Every temp path is pushed here before its file is created, for the undo to remove. */
  readonly temps: string[]
  /** The transaction's reader: the bytes the core fingerprinted. */
  read(change: FileChange): Promise<Buffer>
  readonly signal?: AbortSignal
}

/**
 * Writes one planned copy to a temp file beside its final name (apply: it can be undone by
 * removing the temp). A streamed copy is hashed in the same pass and must match the hash
 * validate staged: a file that changed since is an `AssetCopyError`, which rolls the
 * transaction back (the watcher reports the new content as a further change).
 */
export async function writePlannedCopy(plan: CopyPlan, outDir: string, ctx: WriteContext): Promise<WrittenCopy> {
  let temp: string
  try {
    temp = await copyTempFor(outDir, plan.final.slice(outDir.length + 1))
  } catch (error) {
    const { reason, hint } = describeFsError(error)
    throw new AssetCopyError(`cannot create the output directory for ${plan.final}: ${reason}`, { path: plan.final, hint, cause: error })
  }
  ctx.temps.push(temp)
  if (plan.kind === 'bytes') {
    await writeCopy(temp, await ctx.read(plan.change))
  } else if (plan.kind === 'duplicate') {
    try {
      await duplicateCopy(plan.source, temp)
    } catch (error) {
      const { reason, hint } = describeFsError(error)
      throw new AssetCopyError(`cannot write the fingerprinted copy ${temp}: ${reason}`, { path: temp, hint, cause: error })
    }
  } else {
    const digest = await digestFile(plan.change.absolutePath, { copyTo: temp, ...(ctx.signal ? { signal: ctx.signal } : {}) })
    if (digest.sha256 !== plan.hash) {
      throw new AssetCopyError(`${plan.change.path} changed on disk during the transaction, so its copy would not match the manifest`, {
        path: plan.change.path,
        hint: 'Nothing to do: the next transaction picks up the new content.',
      })
    }
  }
  return { logicalPath: plan.logicalPath, temp, final: plan.final }
}
