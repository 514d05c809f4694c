import { isStatFingerprint, type FileChange } from '@hotreload/core'
import { digestInPool, POOL_MIN_FILES, type PoolDigest } from './hash-pool.js'

/**
 * Hashing of the asset files started when the plugin is applied, before the core's initial
 * scan: the core lists and stats every watched file, which mostly waits on the file system, and
 * the workers hash meanwhile instead of after it (issue 11: the full build was the sum of the
 * two). The initial stage takes a digest only for a file whose size and mtime the worker saw,
 * unchanged over its read, equal the core's stat fingerprint of it, which is the identity the
 * core itself goes by for these files; any other file is hashed again.
 */
export class EarlyHashes {
  readonly #controller = new AbortController()
  readonly #done: Promise<ReadonlyMap<string, PoolDigest>>

  /** Starts hashing `absolutePaths` in the worker pool. */
  constructor(absolutePaths: readonly string[]) {
    const jobs = absolutePaths.map((path) => ({ path, size: 0 }))
    this.#done = digestInPool(jobs, { signal: this.#controller.signal, withStat: true }).then(
      (outcomes) => {
        const digests = new Map<string, PoolDigest>()
        outcomes.forEach((outcome, i) => {
          if (!(outcome instanceof Error)) digests.set(absolutePaths[i] as string, outcome)
        })
        return digests
      },
      // Nothing is lost when the pool fails or is stopped: the stage hashes those files itself.
      () => new Map(),
    )
  }

  /** Whether `count` listed files are worth starting the workers for ahead of the scan. */
  static worthStarting(count: number): boolean {
    return count >= POOL_MIN_FILES
  }

  /**
   * Resolves, once the early pass is over, with the digests that describe `changes` as the core
   * fingerprinted them (by stat), by change. A change the pass missed, or whose file moved since,
   * is not in it.
   */
  async matching(changes: readonly FileChange[]): Promise<Map<FileChange, PoolDigest>> {
    const digests = await this.#done
    const matched = new Map<FileChange, PoolDigest>()
    for (const change of changes) {
      const digest = digests.get(change.absolutePath)
      const fingerprint = change.fingerprint
      if (digest?.mtimeMs === undefined || !fingerprint || digest.mtimeMs !== fingerprint.mtimeMs || digest.size !== fingerprint.size) continue
      // A content fingerprint (another plugin reads the file too) must also be these bytes.
      if (isStatFingerprint(fingerprint) || fingerprint.hash === digest.sha256) matched.set(change, digest)
    }
    return matched
  }

  /** Stops the workers if they are still hashing; resolves once every one has exited. Idempotent. */
  async close(): Promise<void> {
    this.#controller.abort(new Error('the assets plugin closed'))
    await this.#done
  }
}
