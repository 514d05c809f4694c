import { realpath } from 'node:fs/promises'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { BackupPathError } from './errors.js'

/** True when `child` is `parent` itself or lies below it (purely lexical, after resolving). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(resolve(parent), resolve(child))
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`))
}

/** Throws `BackupPathError` unless `child` lies inside `parent`. */
export function assertInside(parent: string, child: string, what: string): void {
  if (!isInside(parent, child)) {
    throw new BackupPathError(`${what} "${child}" is outside ${parent}; refusing to write there`, { path: child })
  }
}

/**
 * Like `assertInside`, after following symbolic links: a directory inside the backup directory
 * that is a link to somewhere else must not receive backups. Both paths must exist.
 */
export async function assertReallyInside(parent: string, child: string, what: string): Promise<void> {
  const [realParent, realChild] = await Promise.all([realpath(parent), realpath(child)])
  if (!isInside(realParent, realChild)) {
    throw new BackupPathError(`${what} "${child}" resolves to ${realChild}, outside ${realParent}; refusing to write there`, { path: child })
  }
}

/**
 * Turns a user-supplied path (CLI argument, API call, index record) into the root-relative,
 * `/`-separated form the kernel uses, or throws `BackupPathError` if it is empty, absolute or
 * climbs out of the root.
 */
export function toProjectPath(root: string, path: string): { readonly rel: string; readonly abs: string } {
  const cleaned = path.replaceAll('\\', '/')
  if (cleaned.trim() === '' || cleaned.includes('\0')) {
    throw new BackupPathError(`"${path}" is not a file path`, { path })
  }
  if (isAbsolute(cleaned) || /^[A-Za-z]:/.test(cleaned)) {
    throw new BackupPathError(`"${path}" is absolute; backups are addressed by paths relative to the project root`, { path })
  }
  const abs = resolve(root, cleaned)
  if (!isInside(root, abs) || abs === resolve(root)) {
    throw new BackupPathError(`"${path}" points outside the project root ${root}`, { path })
  }
  return { rel: relative(resolve(root), abs).split(sep).join('/'), abs }
}

/**
 * True for a stored root-relative path in canonical form: no absolute path, no `\\`, no empty,
 * `.` or `..` segment. A record naming anything else was not written by this plugin.
 */
export function isSafeRelative(path: unknown): path is string {
  if (typeof path !== 'string' || path === '' || path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\') || path.includes('\0')) return false
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..')
}
