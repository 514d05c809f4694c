// Runs the real `hotreload` CLI (the built bin) in a child process and reads its output.
import { spawn, type ChildProcess } from 'node:child_process'
import { symlink } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { waitFor } from './index.js'

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
export const cliPath = join(repoRoot, 'packages/core/dist/cli.js')

/** Lets a temp project import the workspace packages, as if they were installed. */
export async function linkNodeModules(projectRoot: string): Promise<void> {
  await symlink(join(repoRoot, 'node_modules'), join(projectRoot, 'node_modules'), 'dir')
}

export interface RunningCli {
  readonly child: ChildProcess
  readonly stdout: string[]
  readonly stderr: string[]
  /** Parsed `--json` lines so far. */
  json(): Array<Record<string, unknown> & { type: string }>
  waitForJson(predicate: (e: Record<string, unknown> & { type: string }) => boolean, message: string, timeoutMs?: number): Promise<Record<string, unknown> & { type: string }>
  exit(): Promise<number | null>
}

/** Starts the CLI with `args` in `cwd` (NO_COLOR set unless `env` says otherwise). */
export function startCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const stdout: string[] = []
  const stderr: string[] = []
  const collect = (into: string[]) => {
    let partial = ''
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n')
      partial = lines.pop() ?? ''
      into.push(...lines)
    }
  }
  child.stdout.on('data', collect(stdout))
  child.stderr.on('data', collect(stderr))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  const json = () =>
    stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown> & { type: string })
  return {
    child,
    stdout,
    stderr,
    json,
    waitForJson: (predicate, message, timeoutMs = 15_000) =>
      waitFor(() => json().find(predicate), { timeoutMs, message: `${message}; stdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}` }),
    exit: () => exited,
  }
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], cwd: string, timeoutMs = 30_000, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startCli(args, cwd, env)
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs)
  const code = await run.exit()
  clearTimeout(timer)
  return { code, stdout: run.stdout.join('\n'), stderr: run.stderr.join('\n') }
}
