// One harness for every package's tests: a real hotreload instance on real files in a temp
// directory, with the real watcher unless told otherwise, closed (and the directory removed)
// when the test ends, even when it fails.
import { createHotReload, type CreateOptions, type HotReload, type HotReloadEvent } from '@hotreload/core'
import { makeTempProject, recordEvents, waitFor, type TempProject } from './index.js'

export interface StartOptions extends Omit<CreateOptions, 'root' | 'onEvent'> {
  /** Files to create first (root-relative path -> content). */
  readonly files?: Record<string, string | Uint8Array>
  /** An existing project to start on (kept when the test ends); `files` are written into it. */
  readonly project?: TempProject
  /** Prefix of the temp directory's name. */
  readonly prefix?: string
}

export interface StartedInstance {
  readonly project: TempProject
  readonly reloader: HotReload
  /** Every event since before the initial load (`ready` and the initial transaction included). */
  readonly events: HotReloadEvent[]
  /** Events from `ready` on, with polling waits (`recorder.next(type, predicate, since)`). */
  readonly recorder: ReturnType<typeof recordEvents<HotReloadEvent>>
  /**
   * Saves a file the way editors do (temp file + rename) or deletes it (`null`), and waits for
   * the transaction that follows for that path, whatever its outcome.
   */
  edit(rel: string, content: string | Uint8Array | null): Promise<HotReloadEvent>
}

const ENDS_TRANSACTION = new Set(['applied', 'rejected', 'rolled-back', 'aborted', 'dry-run'])

/** Starts an instance for a test; `t.after` closes it before the temp directory goes. */
export async function startInstance(t: { after(fn: () => Promise<void>): void }, options: StartOptions = {}): Promise<StartedInstance> {
  const { files = {}, project: given, prefix, ...createOptions } = options
  const project = given ?? (await makeTempProject({}, prefix))
  for (const [rel, content] of Object.entries(files)) await project.write(rel, content)
  const events: HotReloadEvent[] = []
  const running: { reloader?: HotReload } = {}
  // Registered before anything can fail, so a failed start still removes its directory.
  t.after(async () => {
    await running.reloader?.close()
    if (!given) await project.cleanup()
  })
  const reloader = (running.reloader = await createHotReload({ debounceMs: 20, ...createOptions, root: project.root, onEvent: (e) => events.push(e) }))
  const recorder = recordEvents<HotReloadEvent>(reloader)
  return {
    project,
    reloader,
    events,
    recorder,
    async edit(rel, content) {
      const since = recorder.events.length
      if (content === null) await project.remove(rel)
      else await project.save(rel, content)
      return waitFor(() => recorder.events.slice(since).find((e) => ENDS_TRANSACTION.has(e.type) && e.paths.includes(rel)), { message: `the transaction for ${rel}` })
    },
  }
}
