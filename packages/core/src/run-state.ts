import { randomUUID } from 'node:crypto'
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { HotReloadError } from './errors.js'
import type { Logger } from './logger.js'
import { tempPathFor } from './sweep.js'

const FILE = 'state.json'
/**
 * Every record is padded with spaces to this length, so a later one overwrites the whole file
 * in place. A record is about 120 bytes (version, run id, ISO time).
 */
const RECORD_BYTES = 192

/**
 * The identity of this run and the highest version taken at the root, kept in
 * `<stateDir>/state.json` so a restarted process continues after it: a version is never reused
 * for a root, and every event carries the run id, so "version 7 of this run" is never taken for
 * "version 7 of the last run". A dry-run instance reads it and never writes.
 *
 * While the run is idle, the file holds the version the next transaction will take (see
 * `reserve`), so that a commit writes nothing; `close()` puts back the last committed one. A
 * run that dies without closing leaves a gap of one version, never a repeat.
 */
export class RunState {
  readonly runId = randomUUID()
  readonly #dir: string
  readonly #writable: boolean
  #dirMade = false
  /** `state.json`, open for in-place writes after the run's first save (see `save`). */
  #fd: number | undefined
  /** The buffer every fixed-size record is written from (see `#format`). */
  #record: Buffer | undefined
  /** The version this run last wrote: a commit at or below it has nothing to write. */
  #written = 0

  constructor(dir: string, writable: boolean) {
    this.#dir = dir
    this.#writable = writable
  }

  /** The highest version taken at this root by any run: 0 when none was. A damaged file is a warning and counts as 0. */
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
   * Records `version` as taken, before readers see it, synchronously (a thread-pool round trip
   * per step would double the cost of a small transaction). The first record of a run goes to
   * a temp file renamed over the old one; later ones overwrite it in place with one `pwrite` of a
   * fixed-size record through a descriptor kept open. A single small `write(2)` to a regular
   * file is never torn by a crash of the process (the kernel finishes the call before a signal
   * lands), and creating and renaming a file per transaction cost 0.7–6 ms on a busy ext4 disk
   * against ~5 µs for the write (measured on the CI machine, issue 11's single-save path).
   * Throws `HotReloadError` when the file cannot be written, which rolls the transaction back:
   * a version that cannot be recorded could repeat after a restart. Writes nothing when the
   * version was reserved already (the usual case after the first transaction of a run).
   */
  save(version: number): void {
    if (!this.#writable) return
    // Reserved already. A state.json deleted since the reservation is written anew by the next
    // one, right after this transaction: the window in which a deletion and a crash together
    // lose the version is one transaction long, as it was when every commit wrote.
    if (version <= this.#written && this.#fd !== undefined) return
    this.#write(version)
  }

  /**
   * Records `version` ahead of the transaction that will take it, once the last one has finished
   * and its listeners have the news: the write was ~0.1 ms of every save on its way to the
   * reader (issue 11's single-save case), and a sequence reserved ahead is how databases keep
   * the same promise. A file deleted meanwhile is written anew here. A failure is left to the
   * next `save`, which writes again and reports it at its commit.
   */
  reserve(version: number): void {
    if (!this.#writable || version <= this.#written) return
    try {
      this.#write(version)
    } catch {
      // The next save() finds nothing reserved, writes, and throws the error where it counts.
    }
  }

  #write(version: number): void {
    const file = join(this.#dir, FILE)
    const record = this.#format(version)
    try {
      // A state.json deleted or replaced while the run holds it (nlink 0): written anew below.
      if (this.#fd !== undefined && record.length === RECORD_BYTES && fstatSync(this.#fd).nlink > 0) {
        writeSync(this.#fd, record, 0, record.length, 0)
        this.#written = version
        return
      }
      this.#closeFile()
      if (!this.#dirMade) {
        mkdirSync(this.#dir, { recursive: true, mode: 0o700 })
        this.#dirMade = true
      }
      const temp = tempPathFor(file)
      writeFileSync(temp, record, { mode: 0o600 })
      renameSync(temp, file)
      if (record.length === RECORD_BYTES) this.#fd = openSync(file, 'r+')
      this.#written = version
    } catch (error) {
      // The next save starts over with a new file.
      this.#closeFile()
      throw new HotReloadError('HR_STATE_WRITE', `cannot record version ${version} in ${file}: ${(error as Error).message}`, {
        path: file,
        hint: `Make ${this.#dir} writable (or set the stateDir option to a writable directory); nothing was applied.`,
        cause: error,
      })
    }
  }

  /**
   * The record of `version`, padded to `RECORD_BYTES`, in one buffer kept for the run: the
   * JSON is written out by hand (a number, a UUID and an ISO time need no escaping), which is
   * what `JSON.stringify` gives, without the object, the padded string and a buffer per save.
   */
  #format(version: number): Buffer {
    const text = `{"version":${version},"runId":"${this.runId}","time":"${new Date().toISOString()}"}`
    if (text.length > RECORD_BYTES - 1) return Buffer.from(`${text}\n`)
    const record = (this.#record ??= Buffer.alloc(RECORD_BYTES))
    const length = record.write(text, 0, 'latin1')
    record.fill(0x20, length, RECORD_BYTES - 1)
    record[RECORD_BYTES - 1] = 0x0a
    return record
  }

  /**
   * Puts the last committed version back in place of a reserved one nobody took (it never
   * reached a reader, so a restart may use it), and lets go of the kept descriptor. Idempotent;
   * a later save opens the file anew. A failure leaves the reserved version: a gap, not a repeat.
   */
  close(committed: number): void {
    if (this.#writable && this.#written > committed && this.#fd !== undefined) {
      try {
        this.#write(committed)
      } catch {
        // The reserved version stays recorded: the next run skips it.
      }
    }
    this.#closeFile()
  }

  #closeFile(): void {
    const fd = this.#fd
    this.#fd = undefined
    if (fd === undefined) return
    try {
      closeSync(fd)
    } catch {
      // Closing a descriptor the kernel already invalidated (EBADF/EIO): nothing left to release.
    }
  }
}
