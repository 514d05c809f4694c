// Starts a real hotreload instance (real files, real watcher unless told otherwise) with the
// assets plugin, and closes it when the test ends.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { TestContext } from 'node:test'
import { createHotReload, type HotReload, type HotReloadEvent, type Plugin } from '@hotreload/core'
import { makeTempProject, recordEvents, type TempProject } from '../../../test/helpers/index.js'
import { assetsPlugin, type AssetsPlugin, type AssetsPluginOptions } from '../src/index.js'

export interface Started {
  readonly project: TempProject
  readonly assets: AssetsPlugin
  readonly reloader: HotReload
  /** Every event since before the initial load. */
  readonly events: HotReloadEvent[]
  readonly recorder: ReturnType<typeof recordEvents<HotReloadEvent>>
  /** The manifest file as parsed JSON. */
  manifestOnDisk(): Promise<Record<string, { file: string; hash: string; size: number; integrity: string }>>
}

export async function startAssets(
  t: TestContext,
  files: Record<string, string | Uint8Array>,
  options: AssetsPluginOptions = {},
  extra: { before?: Plugin[]; after?: Plugin[]; watch?: boolean; project?: TempProject; stageTimeoutMs?: number } = {},
): Promise<Started> {
  const project = extra.project ?? (await makeTempProject(files, 'hotreload-assets-'))
  if (extra.project) for (const [rel, content] of Object.entries(files)) await project.write(rel, content)
  const assets = assetsPlugin(options)
  const events: HotReloadEvent[] = []
  // One hook, registered before anything can fail, closes the instance before removing its files.
  const running: { reloader?: HotReload } = {}
  t.after(async () => {
    await running.reloader?.close()
    if (!extra.project) await project.cleanup()
  })
  const reloader = await createHotReload({
    root: project.root,
    debounceMs: 20,
    watch: extra.watch ?? true,
    ...(extra.stageTimeoutMs !== undefined ? { stageTimeoutMs: extra.stageTimeoutMs } : {}),
    plugins: [...(extra.before ?? []), assets, ...(extra.after ?? [])],
    onEvent: (e) => events.push(e),
  })
  running.reloader = reloader
  const recorder = recordEvents<HotReloadEvent>(reloader)
  return {
    project,
    assets,
    reloader,
    events,
    recorder,
    async manifestOnDisk() {
      return JSON.parse(await readFile(assets.stats().manifestPath, 'utf8'))
    },
  }
}

export function sha256(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export function sri(bytes: string | Uint8Array): string {
  return `sha384-${createHash('sha384').update(bytes).digest('base64')}`
}

/** The asset:updated events seen so far. */
export function assetEvents(events: readonly HotReloadEvent[]) {
  return events.filter((e) => e.type === 'asset:updated')
}
