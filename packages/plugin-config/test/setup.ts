// Starts a real hotreload instance with the config plugin, through the shared harness.
import type { TestContext } from 'node:test'
import type { HotReload, HotReloadEvent, Logger, Plugin } from '@hotreload/core'
import type { recordEvents, TempProject } from '../../../test/helpers/index.js'
import { startInstance } from '../../../test/helpers/instance.js'
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
  // env is pinned so the suite does not depend on the NODE_ENV it runs under.
  const configs = configPlugin<S>({ env: 'test', ...options })
  const started = await startInstance(t, {
    files,
    prefix: 'hotreload-config-',
    watch: extra.watch ?? true,
    usePolling: extra.usePolling ?? false,
    plugins: [configs, ...(extra.after ?? [])],
    ...(extra.logger ? { logger: extra.logger } : {}),
  })
  return { ...started, configs }
}

/** The problems of the most recent `rejected` event, as plain tuples for compact assertions. */
export function problemTuples(event: { problems: readonly { code: string; path?: string; line?: number; column?: number; keyPath?: string }[] }) {
  return event.problems.map((p) => [p.code, p.path, p.line, p.column, p.keyPath])
}
