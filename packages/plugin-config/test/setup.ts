// Starts a real hotreload instance (real files in a temp dir, the real watcher) with the config
// plugin, and closes it and removes the directory when the test ends.
import type { TestContext } from 'node:test'
import { createHotReload, type HotReload, type HotReloadEvent, type Logger, type Plugin } from '@hotreload/core'
import { makeTempProject, recordEvents, type TempProject } from '../../../test/helpers/index.js'
import { configPlugin, type ConfigPlugin, type ConfigPluginOptions, type ConfigSchemas } from '../src/index.js'

export interface StartedConfigs<S extends ConfigSchemas> {
  readonly project: TempProject
  readonly configs: ConfigPlugin<S>
  readonly reloader: HotReload
  /** Every event since before the initial load. */
  readonly events: HotReloadEvent[]
  readonly recorder: ReturnType<typeof recordEvents<HotReloadEvent>>
}

export async function startConfigs<const S extends ConfigSchemas = Record<never, never>>(
  t: TestContext,
  files: Record<string, string | Uint8Array>,
  options: ConfigPluginOptions<S> = {},
  extra: { after?: Plugin[]; watch?: boolean; logger?: Logger; usePolling?: boolean } = {},
): Promise<StartedConfigs<S>> {
  const project = await makeTempProject(files, 'hotreload-config-')
  // env is pinned so the suite does not depend on the NODE_ENV it runs under.
  const configs = configPlugin<S>({ env: 'test', ...options })
  const events: HotReloadEvent[] = []
  const running: { reloader?: HotReload } = {}
  t.after(async () => {
    await running.reloader?.close()
    await project.cleanup()
  })
  const reloader = (running.reloader = await createHotReload({
    root: project.root,
    debounceMs: 20,
    watch: extra.watch ?? true,
    usePolling: extra.usePolling ?? false,
    plugins: [configs, ...(extra.after ?? [])],
    ...(extra.logger ? { logger: extra.logger } : {}),
    onEvent: (e) => events.push(e),
  }))
  // The recorder starts empty at `ready`; `events` also holds the initial load.
  const recorder = recordEvents<HotReloadEvent>(reloader)
  return { project, configs, reloader, events, recorder }
}

/** The problems of the most recent `rejected` event, as plain tuples for compact assertions. */
export function problemTuples(event: { problems: readonly { code: string; path?: string; line?: number; column?: number; keyPath?: string }[] }) {
  return event.problems.map((p) => [p.code, p.path, p.line, p.column, p.keyPath])
}
