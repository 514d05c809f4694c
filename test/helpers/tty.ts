// Runs the real CLI on a real pseudo-terminal, through util-linux `script` (in Debian's
// essential bsdutils package), so the CLI sees isTTY on stdout and stderr as a person's shell would.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { cliPath } from './cli.js'

/** Whether `script` from util-linux is on PATH (it is on Debian by default); tests skip by name without it. */
export function hasScript(): boolean {
  const probe = spawnSync('script', ['--version'], { encoding: 'utf8' })
  return probe.status === 0 && /util-linux/.test(probe.stdout + probe.stderr)
}

export interface TtyCli {
  readonly child: ChildProcess
  /** Everything the terminal received so far, `\r` included (the pty turns `\n` into `\r\n`). */
  raw(): string
  /** The CLI's own pid, printed by the wrapper before the CLI writes anything. */
  readonly pid: () => number | undefined
  exit(): Promise<number | null>
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`

/**
 * Starts the CLI with `args` in `cwd` on a pseudo-terminal. The CLI runs as a job of the shell
 * inside `script`, which prints its pid first, so a test can signal the CLI itself (SIGTERM ends
 * watch mode with exit code 0, and `script -e` exits with the CLI's code).
 */
export function startCliOnTty(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): TtyCli {
  const command = `${[process.execPath, cliPath, ...args].map(quote).join(' ')} & echo "cli-pid:$!"; wait $!`
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let raw = ''
  child.stdout.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return {
    child,
    raw: () => raw,
    pid: () => {
      const found = /cli-pid:(\d+)/.exec(raw)
      return found ? Number(found[1]) : undefined
    },
    exit: () => exited,
  }
}

/**
 * What a terminal shows for `raw`: each `\r` returns to the start of the line and the text after
 * it overwrites what was there, so a progress line cleared with `\r`, spaces, `\r` is gone.
 */
export function screen(raw: string): string[] {
  return raw
    .split('\n')
    .map((line) => {
      let shown = ''
      for (const part of line.replace(/\r$/, '').split('\r')) shown = part + shown.slice(part.length)
      return shown.trimEnd()
    })
    .filter((line) => line !== '' && !line.startsWith('cli-pid:'))
}
