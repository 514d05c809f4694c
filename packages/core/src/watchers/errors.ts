import { relative, sep } from 'node:path'
import { WatcherError } from '../errors.js'

/**
 * Turns what chokidar reports into a `WatcherError` that says what failed and what to do about
 * it. `path` is root-relative when the failing path is inside the root.
 */
export function toWatcherError(error: unknown, root: string): WatcherError {
  const err = error instanceof Error ? error : new Error(String(error))
  const errno = err as NodeJS.ErrnoException
  const code = typeof errno.code === 'string' ? errno.code : undefined
  const absolute = typeof errno.path === 'string' ? errno.path : undefined
  const rel = absolute === undefined ? undefined : relative(root, absolute).split(sep).join('/')
  const path = rel === undefined ? undefined : isOutside(rel) ? absolute : rel || '.'
  const where = path === undefined ? root : path
  switch (code) {
    case 'ENOSPC':
      return new WatcherError(`the system limit on file watchers was reached while watching ${where} (ENOSPC)`, {
        path,
        cause: err,
        hint:
          'Raise the limit with `sudo sysctl fs.inotify.max_user_watches=524288` (add it to /etc/sysctl.conf to keep it), ' +
          'or narrow `include` so fewer directories are watched.',
      })
    case 'EACCES':
    case 'EPERM':
      return new WatcherError(`cannot watch ${where}: permission denied (${code})`, {
        path,
        cause: err,
        hint: `The path is not readable by this process: fix its permissions (directories need read and execute), or add it to \`ignore\`.`,
      })
    case 'EMFILE':
    case 'ENFILE':
      return new WatcherError(`too many open files while watching ${where} (${code})`, {
        path,
        cause: err,
        hint: 'Raise the limit with `ulimit -n 65536` in the shell that starts hotreload, or set `usePolling: true`.',
      })
    default:
      return new WatcherError(`the file watcher failed on ${where}: ${err.message}`, {
        path,
        cause: err,
        hint: 'Changes may be missed until this is fixed; if it persists, restart hotreload or set `usePolling: true`.',
      })
  }
}


/** A root-relative path that climbs out of the root. */
export function isOutside(rel: string): boolean {
  return rel === '..' || rel.startsWith('../') || rel.startsWith('/')
}
