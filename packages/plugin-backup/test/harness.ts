// A real instance with the backup plugin and a JSON handler that parses (so an invalid JSON
// file is rejected like any edit) and keeps what it applied, to check what the app sees.
import { createHotReload, defineReloadHandler, writeFileAtomic, type HotReloadEvent, type HotReloadOptions } from '@hotreload/core'
import { backupPlugin, type BackupOptions } from '../src/index.js'
import { makeTempProject, recordEvents, waitFor } from '../../../test/helpers/index.js'

export async function startProject(
  t: { after(fn: () => Promise<void>): void },
  files: Record<string, string>,
  options: BackupOptions = {},
  extra: Partial<HotReloadOptions> & { failOn?: string } = {},
) {
  const { failOn, ...hotOptions } = extra
  const project = await makeTempProject(files)
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
  const reloader = await createHotReload({ root: project.root, include: ['config/**'], debounceMs: 20, plugins: [json, backups], ...hotOptions })
  const events = recordEvents<HotReloadEvent>(reloader)
  t.after(async () => {
    await reloader.close()
    await project.cleanup()
  })
  /**
   * Saves a file the way editors do (temp file + rename, so the watcher never sees it half
   * written) or deletes it, and waits for the transaction that follows (any outcome).
   */
  async function edit(rel: string, content: string | null) {
    const since = events.events.length
    if (content === null) await project.remove(rel)
    else await writeFileAtomic(project.path(rel), content)
    const done = (e: HotReloadEvent) => (e.type === 'applied' || e.type === 'rejected' || e.type === 'rolled-back') && e.paths.includes(rel)
    return waitFor(() => events.events.slice(since).find(done), { message: `the transaction for ${rel}` })
  }
  return { project, backups, applied, reloader, events, edit }
}
