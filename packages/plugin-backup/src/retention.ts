import type { BackupRecord, RetentionPolicy } from './types.js'

/** What a retention pass keeps and drops, each in the order given. */
export interface RetentionPlan<R extends BackupRecord> {
  readonly keep: readonly R[]
  readonly drop: readonly R[]
}

/** True when at least one limit is set. */
export function hasLimits(policy: RetentionPolicy): boolean {
  return policy.keepVersions !== undefined || policy.maxAgeMs !== undefined || policy.maxTotalBytes !== undefined
}

/**
 * Decides which backups a policy keeps. `records` must be in the order they were taken (the
 * index's append order); `live` holds the hashes of the files' current contents, which are kept
 * anyway and so do not count against `maxTotalBytes`. The newest backup of every file is always kept, whatever the limits
 * say, so pruning can never take away the only way back to a file's previous version.
 */
export function planRetention<R extends BackupRecord>(
  records: readonly R[],
  policy: RetentionPolicy,
  { now = Date.now(), live = new Set<string>() }: { readonly now?: number; readonly live?: ReadonlySet<string> } = {},
): RetentionPlan<R> {
  const newest = new Map<string, R>()
  for (const r of records) newest.set(r.path, r)
  const protectedSet = new Set(newest.values())
  const dropped = new Set<R>()

  if (policy.keepVersions !== undefined) {
    const seen = new Map<string, number>()
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i] as R
      const n = (seen.get(r.path) ?? 0) + 1
      seen.set(r.path, n)
      if (n > policy.keepVersions && !protectedSet.has(r)) dropped.add(r)
    }
  }

  if (policy.maxAgeMs !== undefined) {
    const cutoff = now - policy.maxAgeMs
    for (const r of records) if (!protectedSet.has(r) && Date.parse(r.time) < cutoff) dropped.add(r)
  }

  if (policy.maxTotalBytes !== undefined) {
    // Bytes are counted per distinct content: two backups of the same bytes cost one object,
    // and dropping one of them frees nothing while the other is kept.
    const refs = new Map<string, number>()
    const sizes = new Map<string, number>()
    let total = 0
    for (const r of records) {
      if (dropped.has(r)) continue
      const n = refs.get(r.hash) ?? 0
      if (n === 0 && !live.has(r.hash)) total += r.size
      refs.set(r.hash, n + 1)
      sizes.set(r.hash, r.size)
    }
    for (const r of records) {
      if (total <= policy.maxTotalBytes) break
      if (dropped.has(r) || protectedSet.has(r)) continue
      dropped.add(r)
      const n = (refs.get(r.hash) ?? 1) - 1
      refs.set(r.hash, n)
      if (n === 0 && !live.has(r.hash)) total -= sizes.get(r.hash) ?? 0
    }
  }

  return { keep: records.filter((r) => !dropped.has(r)), drop: records.filter((r) => dropped.has(r)) }
}
