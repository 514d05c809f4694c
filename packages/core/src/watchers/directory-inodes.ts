import type { Stats } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { isMissing } from '../list-files.js'

export interface DirectoryInodeHandlers {
  /** The directory `rel` is gone. */
  gone(rel: string): void
  /** A different directory now stands at `rel` (deleted and re-created, or renamed over). */
  recreated(rel: string): void
  /** Stat'ing the directory failed for a reason other than its absence. */
  error(error: unknown): void
}

/**
 * The inode of every directory a watcher watches, so that a native event naming one of them can
 * tell whether it is still the directory being watched. chokidar 5 compares a directory's entries
 * by name only: a directory deleted and re-created under the same name looks unchanged to its
 * parent's listing, so chokidar neither reports the deletion nor watches the new directory, and
 * every later change below it is lost (chokidar issues #1059, #917, #1278). The watcher asks
 * `check(rel)` on each native event; the answer comes through the handlers.
 *
 * The inodes are recorded before the watcher lists a tree (`recordTree`) and checked again once
 * it is ready (`checkTree`): a directory replaced in between is then replaced again, at worst
 * once too often, never missed.
 */
const GONE = 'gone'

// File systems hand a freed inode number straight to the next directory (rm -rf d; mkdir d often
// gets the same one on ext4): the birth time tells them apart where the file system keeps it.
const identity = (stats: Stats): string => `${stats.ino}:${stats.birthtimeMs}`

export class DirectoryInodes {
  readonly #root: string
  readonly #handlers: DirectoryInodeHandlers
  // A directory seen gone keeps GONE: the parent's event for its re-creation must still be checked.
  readonly #inodes = new Map<string, string>()
  // A check in flight per directory; `again` when another event came meanwhile.
  readonly #checking = new Map<string, { again: boolean }>()
  #closed = false

  readonly #couldContain: (rel: string) => boolean

  constructor(root: string, couldContain: (rel: string) => boolean, handlers: DirectoryInodeHandlers) {
    this.#root = root
    this.#couldContain = couldContain
    this.#handlers = handlers
  }

  /** Records `rel` ('' = the root, not itself recorded) and every directory below it that could hold watched files. */
  async recordTree(rel: string): Promise<void> {
    const absolute = rel === '' ? this.#root : join(this.#root, rel)
    let entries
    try {
      if (rel !== '') {
        const here = await stat(absolute)
        if (!here.isDirectory()) return
        this.#inodes.set(rel, identity(here))
      }
      entries = await readdir(absolute, { withFileTypes: true })
    } catch (error) {
      if (!isMissing(error)) this.#handlers.error(error)
      return
    }
    await Promise.all(
      entries
        .filter((entry) => entry.isDirectory())
        .map((entry) => (rel === '' ? entry.name : `${rel}/${entry.name}`))
        .filter((dir) => this.#couldContain(dir))
        .map((dir) => this.recordTree(dir)),
    )
  }

  /** Checks every recorded directory at or below `rel` ('' = all). */
  checkTree(rel: string): void {
    for (const dir of [...this.#inodes.keys()]) if (rel === '' || dir === rel || dir.startsWith(`${rel}/`)) this.check(dir)
  }

  /** Records the directory the watcher now watches at `rel`, from its stats or a fresh stat. */
  async seen(rel: string, stats?: Stats): Promise<void> {
    if (stats?.isDirectory()) {
      this.#inodes.set(rel, identity(stats))
      return
    }
    try {
      const now = await stat(join(this.#root, rel))
      if (now.isDirectory()) this.#inodes.set(rel, identity(now))
    } catch (error) {
      if (!isMissing(error)) this.#handlers.error(error)
    }
  }

  /** Forgets `rel` and every directory below it ('' = all). */
  forget(rel: string): void {
    for (const dir of [...this.#inodes.keys()]) if (rel === '' || dir === rel || dir.startsWith(`${rel}/`)) this.#inodes.delete(dir)
  }

  /** Re-stats `rel` if it is a recorded directory; one check at a time per directory. */
  check(rel: string): void {
    if (this.#closed || !this.#inodes.has(rel)) return
    const running = this.#checking.get(rel)
    if (running) {
      running.again = true
      return
    }
    const entry = { again: false }
    this.#checking.set(rel, entry)
    const run = async (): Promise<void> => {
      do {
        entry.again = false
        await this.#checkOnce(rel)
      } while (entry.again && !this.#closed)
      this.#checking.delete(rel)
    }
    run().catch((error: unknown) => {
      this.#checking.delete(rel)
      this.#handlers.error(error)
    })
  }

  close(): void {
    this.#closed = true
    this.#inodes.clear()
  }

  async #checkOnce(rel: string): Promise<void> {
    const known = this.#inodes.get(rel)
    if (known === undefined) return
    let now: Stats | undefined
    try {
      now = await stat(join(this.#root, rel))
    } catch (error) {
      if (!isMissing(error)) {
        this.#handlers.error(error)
        return
      }
    }
    if (this.#closed || this.#inodes.get(rel) !== known) return
    if (now === undefined || !now.isDirectory()) {
      if (known === GONE) return
      this.forget(rel)
      this.#inodes.set(rel, GONE)
      this.#handlers.gone(rel)
    } else if (identity(now) !== known) {
      this.forget(rel)
      this.#inodes.set(rel, identity(now))
      this.#handlers.recreated(rel)
    }
  }
}
