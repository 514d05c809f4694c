import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** A throwaway project directory for one contender, so no watcher sees another's writes. */
export interface TempProject {
  readonly root: string
  /** Writes `relativePath` (creating directories) and resolves once the write has completed. */
  write(relativePath: string, content: string): Promise<void>
  remove(): Promise<void>
}

export async function makeProject(label: string): Promise<TempProject> {
  const root = await mkdtemp(join(tmpdir(), `hotreload-bench-${label.replace(/\W+/g, '-')}-`))
  return {
    root,
    async write(relativePath, content) {
      const file = join(root, relativePath)
      await mkdir(dirname(file), { recursive: true })
      await writeFile(file, content)
    },
    remove: () => rm(root, { recursive: true, force: true }),
  }
}

/** The content of a config file carrying `value`, as every contender parses it. */
export function configContent(value: number): string {
  return `${JSON.stringify({ value, name: 'bench', nested: { enabled: value % 2 === 0, list: [1, 2, 3] } }, null, 2)}\n`
}

/** `config/c0000.json`, ... : the config file names used by the multi-file cases. */
export function configName(index: number): string {
  return `c${String(index).padStart(4, '0')}`
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A TCP port free right now on 127.0.0.1 (the OS picks it; the probe socket is closed first). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}
