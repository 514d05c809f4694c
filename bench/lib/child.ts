import { spawn } from 'node:child_process'
import { join } from 'node:path'

const BENCH_DIR = join(import.meta.dirname, '..')

/**
 * Runs a bench script in a fresh Node process (its own heap and RSS, with `global.gc`) and
 * parses the JSON it prints as its last stdout line.
 */
export function runChild<T>(script: string, args: readonly string[], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--conditions=source', '--import', 'tsx', join(BENCH_DIR, script), ...args], {
      cwd: BENCH_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const last = stdout.trim().split('\n').at(-1) ?? ''
      if (code !== 0) {
        reject(new Error(`${script} ${args.join(' ')} exited with ${signal ?? code}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`))
        return
      }
      try {
        resolve(JSON.parse(last) as T)
      } catch (error) {
        reject(new Error(`${script} ${args.join(' ')} printed no JSON result: ${last.slice(0, 200)}`, { cause: error }))
      }
    })
  })
}

/** `global.gc` run twice (the second pass collects what the first one's finalizers freed). */
export function collect(): void {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc: memory figures need a full collection')
  globalThis.gc()
  globalThis.gc()
}
