import type { CommandContext, PluginCommand } from '@hotreload/core'
import { UnknownAssetError } from './errors.js'
import type { AssetsPlugin } from './types.js'

/**
 * `hotreload <name> [list]` prints every asset with its URL, size and integrity (the manifest as
 * JSON with `--json`); `hotreload <name> url <logical path>` prints one URL. Exit codes follow
 * the CLI: 0 ok, 1 failed (initial load rejected, unknown asset), 2 usage.
 */
export function createAssetsCommand(name: string, api: Pick<AssetsPlugin, 'manifest' | 'url'>): PluginCommand {
  const usage = `hotreload ${name} [list | url <logical path>]`
  return {
    description: 'show the asset manifest, or the fingerprinted URL of one asset',
    usage,
    async run(args: readonly string[], ctx: CommandContext): Promise<number> {
      const [sub = 'list', ...rest] = args
      const last = ctx.reloader.status().last
      if (last?.status === 'rejected' || last?.status === 'rolled-back') {
        ctx.printError(`hotreload ${name}: the initial load was ${last.status}, so the manifest is empty:`)
        for (const p of last.problems) ctx.printError(`  ${p.path ? `${p.path}: ` : ''}${p.message}${p.hint ? ` (${p.hint})` : ''}`)
        return 1
      }
      if (sub === 'list' && rest.length === 0) {
        const manifest = api.manifest()
        if (ctx.json) ctx.print(JSON.stringify(manifest))
        else for (const [logical, entry] of Object.entries(manifest)) ctx.print(`${logical}  ${api.url(logical)}  ${entry.size} B  ${entry.integrity}`)
        return 0
      }
      if (sub === 'url' && rest.length === 1) {
        try {
          const url = api.url(rest[0] as string)
          ctx.print(ctx.json ? JSON.stringify({ logicalPath: rest[0], url }) : url)
          return 0
        } catch (error) {
          if (!(error instanceof UnknownAssetError)) throw error
          ctx.printError(`hotreload ${name}: ${error.message}${error.hint ? ` (${error.hint})` : ''}`)
          return 1
        }
      }
      ctx.printError(`usage: ${usage}`)
      return 2
    },
  }
}
