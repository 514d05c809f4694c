import { statSync } from 'node:fs'
import type { Fingerprint } from './changes.js'
import { LISTED, statFingerprint } from './read-probe.js'

/**
 * How far a file's ctime may lie before the listing and still not be trusted as older than it.
 * The kernel stamps ctime from a coarse clock (a tick behind `Date.now()`), and some file
 * systems keep whole seconds (ext3, HFS+) or two (FAT): a file changed just after the listing
 * can carry a ctime up to this much earlier.
 */
export const LISTING_SLACK_MS = 2000
// Stats per turn of the event loop: a save that arrives meanwhile waits for one batch at most.
const FILL_BATCH = 256

export interface ListedStatsOptions {
  readonly baseline: Map<string, Fingerprint>
  /** The absolute path of a root-relative one. */
  readonly absoluteOf: (rel: string) => string
  /** A file whose stat may be newer than the listing: its next event is a change, whatever its stat. */
  readonly unsettled: Set<string>
  /** Overrides `LISTING_SLACK_MS` (tests). */
  readonly slackMs?: number
}

/**
 * Gives the files an initial load took in by their listing alone (`LISTED`: no plugin reads
 * them, and 10,000 stats were a third of a large load, issue 11) their stat fingerprints, in
 * the background once the load is committed: size and mtime are what tells a later event that
 * changes nothing, and what pairs a rename of a file nobody reads.
 *
 * A stat taken now stands for the file as listed only if nothing changed it since: its ctime
 * (which no writer can set) is older than the listing. A file changed meanwhile keeps the stat
 * taken now but is `unsettled`: its next event counts as a change even if the stat is the same,
 * so an edit whose event is still on its way is not mistaken for nothing.
 */
export class ListedStats {
  readonly #options: ListedStatsOptions
  #pending: string[] = []
  #listedAt = 0
  #timer: NodeJS.Immediate | undefined
  #stopped = false

  constructor(options: ListedStatsOptions) {
    this.#options = options
  }

  /** Stats `paths` (entered into the baseline as `LISTED`, listed at `listedAt` ms) in the background. */
  fill(paths: readonly string[], listedAt: number): void {
    if (this.#stopped || paths.length === 0) return
    this.#pending.push(...paths)
    this.#listedAt = listedAt
    this.#timer ??= setImmediate(() => this.#batch())
  }

  /** Stops filling; the files still `LISTED` stay so (every event on them is a change). Idempotent. */
  stop(): void {
    this.#stopped = true
    if (this.#timer) clearImmediate(this.#timer)
    this.#timer = undefined
    this.#pending = []
  }

  #batch(): void {
    this.#timer = undefined
    const { baseline, absoluteOf, unsettled } = this.#options
    const trustedBefore = this.#listedAt - (this.#options.slackMs ?? LISTING_SLACK_MS)
    const batch = this.#pending.splice(0, FILL_BATCH)
    for (const path of batch) {
      // A transaction took the file in meanwhile, or it left: its entry is no longer ours.
      if (baseline.get(path) !== LISTED) continue
      let stats
      try {
        stats = statSync(absoluteOf(path), { throwIfNoEntry: false })
      } catch {
        // Unreadable now: it stays LISTED, and its next event says what it is.
        continue
      }
      if (stats === undefined || !stats.isFile()) continue
      baseline.set(path, statFingerprint(stats))
      if (stats.ctimeMs >= trustedBefore) unsettled.add(path)
    }
    if (this.#pending.length > 0) this.#timer = setImmediate(() => this.#batch())
  }
}
