import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from './cli.js'

/** A script of the repository running in a child Node process, with its output so far. */
export interface SourceChild {
  readonly child: ChildProcess
  /** Everything the child wrote to stdout until now. */
  stdout(): string
  /** Everything the child wrote to stderr until now. */
  stderr(): string
  /** Settles when the child has exited, with the signal that ended it (null for an exit code). */
  readonly exited: Promise<NodeJS.Signals | null>
}

/**
 * Starts `script` (a path from the repository root, TypeScript run from the sources by tsx, as
 * the tests themselves are) with `args`, from the repository root. The caller stops it.
 */
export function spawnSourceScript(script: string, args: readonly string[]): SourceChild {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(repoRoot, script), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}
