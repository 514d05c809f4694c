import { spawn, type ChildProcess } from 'node:child_process'
import type { TestContext } from 'node:test'
import { waitFor } from './index.js'

export interface ExampleServer {
  readonly child: ChildProcess
  /** `http://127.0.0.1:<port>`, as the server printed it. */
  readonly base: string
  /** Everything the server printed so far, stdout and stderr interleaved, one chunk per entry. */
  readonly out: readonly string[]
}

/**
 * Starts an example's `server.ts` from its TypeScript sources (tsx) in a child process, serving
 * `appRoot` (APP_ROOT) on a free port, and resolves once it prints `listening on <url>`. The
 * child is killed after the test `t`, whatever happened.
 */
export async function startExampleServer(t: TestContext, serverPath: string, options: { appRoot: string; cwd: string; timeoutMs?: number }): Promise<ExampleServer> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', serverPath], {
    cwd: options.cwd,
    env: { ...process.env, APP_ROOT: options.appRoot, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(() => child.kill('SIGKILL'))
  const out: string[] = []
  child.stdout.on('data', (d: Buffer) => out.push(d.toString()))
  child.stderr.on('data', (d: Buffer) => out.push(d.toString()))
  const base = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out.join(''))?.[1], {
    timeoutMs: options.timeoutMs ?? 60_000,
    message: `the server to listen; output: ${out.join('')}`,
  })
  return { child, base, out }
}
