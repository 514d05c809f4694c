import type { CommandContext, PluginCommand, TransactionRecord } from '@hotreload/core'
import { UnknownAssetError } from './errors.js'
import type { Manifest } from './types.js'

/** What the command reads: the manifest a record left (committed, or computed by a dry run). */
export interface ManifestView {
  manifest(): Manifest
  url(logicalPath: string): string
}

/**
 * `hotreload <name> [list]` prints every asset with its URL, size and integrity (the manifest as
 * JSON with `--json`); `hotreload <name> url <logical path>` prints one URL. Read-only: the CLI
 * runs it on an instance that ran a dry run, whose manifest `view` returns. Exit codes follow the
 * CLI: 0 ok, 1 failed (initial load rejected, unknown asset), 2 usage.
 */
export function createAssetsCommand(name: string, view: (last: TransactionRecord | undefined) => ManifestView): PluginCommand {
  const usage = `hotreload ${name} [list | url <logical path>]`
  return {
    description: 'show the asset manifest, or the fingerprinted URL of one asset',
    usage,
    readOnly: () => true,
    async run(args: readonly string[], ctx: CommandContext): Promise<number> {
      const [sub = 'list', ...rest] = args
      const last = ctx.reloader.status().last
      if (last && last.status !== 'applied' && last.status !== 'unchanged' && (last.status !== 'dry-run' || last.problems.length > 0)) {
        const what = last.status === 'dry-run' ? 'would be rejected' : `was ${last.status}`
        ctx.printError(`hotreload ${name}: the initial load ${what}, so there is no manifest to show:`)
        for (const p of last.problems) ctx.printError(`  ${p.path ? `${p.path}: ` : ''}${p.message}${p.hint ? ` (${p.hint})` : ''}`)
        if (last.error) ctx.printError(`  ${last.error.message}`)
        return 1
      }
      const api = view(last)
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
