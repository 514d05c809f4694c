import { posix } from 'node:path'
import { FileNameError, type WatcherError } from '../errors.js'
import { invalidNameError, invalidNamesIn } from '../list-files.js'
import type { PathMatcher } from '../path-matcher.js'
import { toWatcherError } from './errors.js'

/**
 * Native watchers decode a file name that is not valid UTF-8 with replacement characters: the
 * path they report does not exist, and the file would be skipped without a word. `check(rel)`
 * looks, for a reported path holding U+FFFD, at the raw names of its directory and reports each
 * invalid one that could be watched, once per process.
 */
export function reportBadNames(root: string, matcher: PathMatcher, report: (error: WatcherError) => void): { check(rel: string): void; found(dirRel: string, raw: Buffer): void } {
  const reported = new Set<string>()
  const listing = new Set<string>()
  const found = (dirRel: string, raw: Buffer): void => {
    const key = `${dirRel}/${raw.toString('hex')}`
    if (reported.has(key)) return
    reported.add(key)
    report(invalidNameError(dirRel, raw))
  }
  return {
    found,
    check(rel) {
      if (!rel.includes('\uFFFD')) return
      const dirRel = posix.dirname(rel) === '.' ? '' : posix.dirname(rel)
      if (listing.has(dirRel)) return
      listing.add(dirRel)
      invalidNamesIn(root, matcher, dirRel).then(
        (names) => {
          listing.delete(dirRel)
          for (const raw of names) found(dirRel, raw)
        },
        (error: unknown) => {
          listing.delete(dirRel)
          report(error instanceof FileNameError ? error : toWatcherError(error, root))
        },
      )
    },
  }
}
