/** Why a file system call failed, in words a user can act on. */
export function describeFsError(error: unknown): { reason: string; hint: string } {
  const code = typeof error === 'object' && error !== null ? (error as NodeJS.ErrnoException).code : undefined
  switch (code) {
    case 'ENOENT':
      return { reason: 'it vanished while being read', hint: 'The file was removed or renamed mid-read; the next batch picks up its new state.' }
    case 'EISDIR':
      return { reason: 'it is now a directory, not a file', hint: 'Replace the directory with a file, or move it out of the asset directory.' }
    case 'EACCES':
    case 'EPERM':
      return { reason: 'permission denied', hint: 'Make the path readable and writable by the user running hotreload (e.g. chmod u+rw).' }
    case 'ENOTDIR':
      return { reason: 'a parent of the path is a file, not a directory', hint: 'Remove or rename the file that stands where a directory is expected.' }
    case 'EEXIST':
      return { reason: 'a file stands where a directory is expected', hint: 'Remove or rename that file, or choose another path.' }
    case 'ENOSPC':
      return { reason: 'the disk is full', hint: 'Free some space on the disk.' }
    case 'ENAMETOOLONG':
      return {
        reason: 'the name is longer than the file system allows',
        hint: 'The fingerprinted copy is the asset name plus a dot and the hash (hashLength characters); shorten the asset file name (most file systems allow 255 bytes per name) or lower the hashLength option.',
      }
    case 'EROFS':
      return { reason: 'the file system is read-only', hint: 'Choose a path on a writable file system.' }
    default:
      return { reason: error instanceof Error ? error.message : String(error), hint: 'Check the path and its permissions.' }
  }
}
