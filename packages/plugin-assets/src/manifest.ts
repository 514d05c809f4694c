import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { dirname, posix } from 'node:path'
import { tempPathFor } from '@hotreload/core'
import type { Manifest, ManifestEntry } from './types.js'

/**
 * The fingerprinted name of a logical path: the first `length` hex characters of its sha256
 * inserted before the last extension (`css/app.css` -> `css/app.3f2a9c1b.css`), or appended
 * when there is none (`LICENSE` -> `LICENSE.3f2a9c1b`). A leading dot is not an extension.
 */
export function fingerprintedName(logicalPath: string, sha256: string, length: number): string {
  const dir = posix.dirname(logicalPath)
  const base = posix.basename(logicalPath)
  const ext = posix.extname(base)
  const stem = base.slice(0, base.length - ext.length)
  const name = `${stem}.${sha256.slice(0, length)}${ext}`
  return dir === '.' ? name : `${dir}/${name}`
}

/** Code-unit order: the same on every machine and locale, so manifest diffs stay readable. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The manifest file's text: keys sorted, entry fields in a fixed order, two-space indent and a
 * final newline, so an edit to one asset changes only its lines.
 */
export function serializeManifest(entries: ReadonlyMap<string, ManifestEntry>): string {
  // Null prototype: an asset named `__proto__` is an ordinary key, not the object's prototype.
  const ordered: Record<string, ManifestEntry> = Object.create(null) as Record<string, ManifestEntry>
  for (const key of [...entries.keys()].sort(compareKeys)) {
    const e = entries.get(key) as ManifestEntry
    ordered[key] = { file: e.file, hash: e.hash, size: e.size, integrity: e.integrity }
  }
  return `${JSON.stringify(ordered, null, 2)}\n`
}

/**
 * A frozen copy with sorted keys, safe to hand to application code. It has a null prototype,
 * so every asset name is an own key (`__proto__`, `constructor` and `prototype` included) and
 * a name that is not an asset reads as undefined, never as an inherited `Object` method.
 */
export function freezeManifest(entries: ReadonlyMap<string, ManifestEntry>): Manifest {
  const out: Record<string, ManifestEntry> = Object.create(null) as Record<string, ManifestEntry>
  for (const key of [...entries.keys()].sort(compareKeys)) out[key] = Object.freeze({ ...(entries.get(key) as ManifestEntry) })
  return Object.freeze(out)
}

/**
 * Writes the new manifest to a temp file beside `path` (creating the directory) and fsyncs it,
 * so that committing it is a single rename. The temp path is pushed to `temps` before the file
 * is created, so whoever undoes the transaction removes it even when this rejects half-way.
 * Resolves with the temp path; rejects with the file system's error.
 */
export async function stageManifestFile(path: string, text: string, temps: string[]): Promise<string> {
  await mkdir(dirname(path), { recursive: true })
  const temp = tempPathFor(path)
  temps.push(temp)
  const handle = await open(temp, 'wx', 0o644)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return temp
}

/** Moves a staged manifest into place; readers see the old file or the new one, never a part. */
export function commitManifestFile(temp: string, path: string): Promise<void> {
  return rename(temp, path)
}

/**
 * The manifest's bytes on disk now, to tell whether a transaction needs to write it at all;
 * `undefined` when there is none yet.
 */
export async function readManifestFile(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
