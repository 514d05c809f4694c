import { randomUUID } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { HotReloadError } from './errors.js'
import type { Logger } from './logger.js'
import { tempPathFor } from './sweep.js'

const FILE = 'state.json'

/**
 * The identity of this run and the last committed version of the root, kept in
 * `<stateDir>/state.json` so a restarted process continues from it: a version is never reused
 * for a root, and every event carries the run id, so "version 7 of this run" is never taken for
 * "version 7 of the last run". A dry-run instance reads it and never writes.
 */
export class RunState {
  readonly runId = randomUUID()
  readonly #dir: string
  readonly #writable: boolean
  #dirMade = false

  constructor(dir: string, writable: boolean) {
    this.#dir = dir
    this.#writable = writable
  }

  /** The last version committed at this root by any run: 0 when none was. A damaged file is a warning and counts as 0. */
  load(log: Logger): number {
    let text: string
    try {
      text = readFileSync(join(this.#dir, FILE), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`cannot read ${join(this.#dir, FILE)}: ${(error as Error).message}; versions start from 0`)
      return 0
    }
    try {
      const version = (JSON.parse(text) as { version?: unknown }).version
      if (Number.isSafeInteger(version) && (version as number) >= 0) return version as number
    } catch {
      // Reported below with the same message as a well-formed file without a version.
    }
    log.warn(`${join(this.#dir, FILE)} is damaged; versions start from 0 (delete the file to silence this)`)
    return 0
  }

  /**
   * Records `version` as taken, before readers see it: written to a temp file and renamed over
   * the old one, synchronously (a few dozen microseconds for these bytes, where four thread-pool
   * round trips would double the cost of a small transaction). Throws `HotReloadError` when the
   * directory cannot be written, which rolls the transaction back: a version that cannot be
   * recorded could repeat after a restart.
   */
  save(version: number): void {
    if (!this.#writable) return
    const file = join(this.#dir, FILE)
    const temp = tempPathFor(file)
    try {
      if (!this.#dirMade) {
        mkdirSync(this.#dir, { recursive: true, mode: 0o700 })
        this.#dirMade = true
      }
      writeFileSync(temp, `${JSON.stringify({ version, runId: this.runId, time: new Date().toISOString() })}\n`, { mode: 0o600 })
      renameSync(temp, file)
    } catch (error) {
      throw new HotReloadError('HR_STATE_WRITE', `cannot record version ${version} in ${file}: ${(error as Error).message}`, {
        path: file,
        hint: `Make ${this.#dir} writable (or set the stateDir option to a writable directory); nothing was applied.`,
        cause: error,
      })
    }
  }
}
