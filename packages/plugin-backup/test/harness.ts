// A real instance with the backup plugin and a JSON handler that parses (so an invalid JSON
// file is rejected like any edit) and keeps what it applied, to check what the app sees.
import { defineReloadHandler, type HotReloadOptions } from '@hotreload/core'
import { backupPlugin, type BackupOptions } from '../src/index.js'
import { startInstance } from '../../../test/helpers/instance.js'

export async function startProject(
  t: { after(fn: () => Promise<void>): void },
  files: Record<string, string>,
  options: BackupOptions = {},
  extra: Partial<HotReloadOptions> & { failOn?: string } = {},
) {
  const { failOn, ...hotOptions } = extra
  const backups = backupPlugin(options)
  const applied = new Map<string, unknown>()
  const json = defineReloadHandler<unknown>({
    name: 'json',
    files: 'config/**/*.json',
    async validate(change, ctx) {
      return change.kind === 'deleted' ? undefined : JSON.parse(await ctx.readText())
    },
    async handleChange(change, ctx) {
      const had = applied.has(change.path)
      const before = applied.get(change.path)
      if (failOn !== undefined && (await ctx.readText()) === failOn) throw new Error(`apply refused ${change.path}`)
      if (change.from !== undefined) applied.delete(change.from)
      if (change.kind === 'deleted') applied.delete(change.path)
      else applied.set(change.path, ctx.staged)
      return () => {
        if (had) applied.set(change.path, before)
        else applied.delete(change.path)
      }
    },
  })
  const { project, reloader, recorder: events, edit } = await startInstance(t, { files, include: ['config/**'], plugins: [json, backups], ...hotOptions })
  return { project, backups, applied, reloader, events, edit }
}
