// Starts a real hotreload instance with the assets plugin, through the shared harness.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { TestContext } from 'node:test'
import type { HotReload, HotReloadEvent, Plugin } from '@hotreload/core'
import type { recordEvents, TempProject } from '../../../test/helpers/index.js'
import { startInstance } from '../../../test/helpers/instance.js'
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
  const assets = assetsPlugin(options)
  const { project, reloader, events, recorder } = await startInstance(t, {
    files,
    prefix: 'hotreload-assets-',
    ...(extra.project ? { project: extra.project } : {}),
    watch: extra.watch ?? true,
    ...(extra.stageTimeoutMs !== undefined ? { stageTimeoutMs: extra.stageTimeoutMs } : {}),
    plugins: [...(extra.before ?? []), assets, ...(extra.after ?? [])],
  })
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
