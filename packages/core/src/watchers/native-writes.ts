import { performance } from 'node:perf_hooks'

// chokidar's own event for a path whose native event was delivered is expected this soon after
// it; a later one is delivered again (a no-op for reconciliation, never a loss).
const COVER_WINDOW_MS = 1000

/**
 * Changes taken straight from chokidar's native events (fs.watch), ahead of chokidar's own.
 *
 * chokidar reports a write only after one more stat through the thread pool, and the native
 * event it stats for reaches the `raw` listener first: about a third of a millisecond earlier
 * on the bench machine, out of a 2 ms save (issue 11's single-save case). The kernel reads and
 * compares the bytes itself, so it needs no stat: a native `change` or `rename` of a watched
 * path is delivered at once (reconciliation finds out whether the file was written, replaced,
 * created or removed), and the `add`, `change` or `unlink` chokidar emits for that path next
 * is "covered": it says nothing the reconcile after the native event did not see.
 *
 * chokidar's events for a path follow native events for that same path, except two kinds,
 * which are never covered: files it finds listing a new directory (no watch saw them) and
 * files under a directory that went away (the directory's event reconciles those). Their
 * directory's event drops what is recorded below it, and a record older than the window is
 * ignored, so a record chokidar never answered (its throttles drop events) stays harmless.
 */
export class NativeWrites {
  readonly #delivered = new Map<string, number>()
  // Per path: partners owed in this poll phase; > 0 from the file's watch, < 0 from the directory's.
  readonly #owed = new Map<string, number>()
  #clearing: NodeJS.Immediate | undefined

  /**
   * Whether a native `change` of `rel`, from the file's own watch (`onFile`) or its
   * directory's, is the partner of one delivered in this poll phase: inotify reports one write
   * to both watches, in the same read. Two writes in one read are two pairs; an event whose
   * partner never came is forgotten at the end of the phase, so a lone event later (a write
   * through a hard link elsewhere reaches only the file's watch) is never taken for one.
   */
  partner(rel: string, onFile: boolean): boolean {
    const owed = this.#owed.get(rel) ?? 0
    if (onFile ? owed > 0 : owed < 0) {
      if (owed === 1 || owed === -1) this.#owed.delete(rel)
      else this.#owed.set(rel, onFile ? owed - 1 : owed + 1)
      return true
    }
    this.#owed.set(rel, onFile ? owed - 1 : owed + 1)
    this.#clearing ??= setImmediate(() => {
      this.#clearing = undefined
      this.#owed.clear()
    }).unref()
    return false
  }

  /** A native event of watched `rel` was delivered as a change. */
  delivered(rel: string): void {
    this.#delivered.set(rel, performance.now())
  }

  /** Whether chokidar's own `add`/`change`/`unlink` of `rel` is covered (see above). Call once per event. */
  covered(rel: string): boolean {
    const at = this.#delivered.get(rel)
    if (at === undefined) return false
    this.#delivered.delete(rel)
    return performance.now() - at < COVER_WINDOW_MS
  }

  /** A directory was added or removed: chokidar's next events below it are news. */
  forgetUnder(dirRel: string): void {
    if (this.#delivered.size === 0) return
    const prefix = dirRel === '' ? '' : `${dirRel}/`
    for (const rel of this.#delivered.keys()) if (rel.startsWith(prefix)) this.#delivered.delete(rel)
  }

  /** Drops everything; at close. */
  clear(): void {
    if (this.#clearing) clearImmediate(this.#clearing)
    this.#clearing = undefined
    this.#owed.clear()
    this.#delivered.clear()
  }
}
