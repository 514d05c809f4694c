import { parseArgs } from 'node:util'
import { formatLocated, HotReloadError, type CommandContext, type PluginCommand } from '@hotreload/core'
import { BackupAmbiguousError, BackupPathError } from './errors.js'
import { checkCount } from './options.js'
// Types only from types.ts: the plugin imports this file, never the other way round.
import type { BackupPlugin, RetentionPolicy } from './types.js'

/** The part of the plugin the command drives. */
type BackupApi = Pick<BackupPlugin, 'list' | 'restore' | 'prune'>

function usageOf(name: string): string {
  return `hotreload ${name} list [path]
hotreload ${name} restore <path> <version> [--hash <prefix>]
hotreload ${name} prune [--keep-versions N] [--max-age-ms N] [--max-total-bytes N]`
}

const OK = 0
const FAILED = 1
const USAGE_ERROR = 2

/**
 * `hotreload <name> <list|restore|prune>`, named after the plugin. `list` only reads (the CLI
 * runs it on a dry-run instance, so it applies and writes nothing); `restore` and `prune` change
 * things and get an applying instance. Exit codes: 0 done (restore: applied or already in
 * place), 1 the operation failed or the restored version was rejected, 2 wrong arguments
 * (including a path outside the root, or a version that needs `--hash` to say which backup).
 */
export function createBackupCommand(name: string, api: BackupApi): PluginCommand {
  const usageText = usageOf(name)
  const usage = (ctx: CommandContext, problem: string): number => {
    ctx.printError(`hotreload ${name}: ${problem}\nUsage:\n${usageText}`)
    return USAGE_ERROR
  }
  return Object.freeze({
    description: 'list, restore and prune the backups taken before each apply',
    usage: usageText,
    readOnly: (args: readonly string[]) => args[0] === 'list',
    async run(args: readonly string[], ctx: CommandContext): Promise<number> {
      const [sub, ...rest] = args
      try {
        if (sub === 'list') return await list(api, rest, ctx)
        if (sub === 'restore') return await restore(api, rest, ctx)
        if (sub === 'prune') return await prune(api, rest, ctx)
        return usage(ctx, sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`)
      } catch (error) {
        if (error instanceof UsageError) return usage(ctx, error.message)
        if (error instanceof BackupPathError || error instanceof BackupAmbiguousError) {
          ctx.printError(`hotreload ${name}: ${formatLocated(error)}`)
          return USAGE_ERROR
        }
        if (error instanceof HotReloadError) {
          ctx.printError(`hotreload ${name}: ${formatLocated(error)}`)
          return FAILED
        }
        throw error
      }
    },
  })
}

class UsageError extends Error {}

function parse(args: readonly string[], options: Record<string, { type: 'string' }> = {}) {
  try {
    return parseArgs({ args: [...args], allowPositionals: true, strict: true, options })
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
}

async function list(api: BackupApi, args: readonly string[], ctx: CommandContext): Promise<number> {
  const { positionals } = parse(args)
  if (positionals.length > 1) throw new UsageError('list takes at most one path')
  const records = await api.list(positionals[0])
  if (ctx.json) {
    for (const r of records) ctx.print(JSON.stringify(r))
    return OK
  }
  if (records.length === 0) {
    ctx.print(positionals[0] === undefined ? 'no backups yet' : `no backups of ${positionals[0]}`)
    return OK
  }
  ctx.print(['version', 'time', 'kind', 'size', 'hash', 'path'].join('\t'))
  for (const r of records) ctx.print([r.version, r.time, r.kind, r.size, r.hash.slice(0, 12), r.path].join('\t'))
  return OK
}

async function restore(api: BackupApi, args: readonly string[], ctx: CommandContext): Promise<number> {
  const { positionals, values } = parse(args, { hash: { type: 'string' } })
  const [path, versionText] = positionals
  if (path === undefined || versionText === undefined || positionals.length > 2) throw new UsageError('restore needs <path> <version>')
  const version = toInteger(versionText, 'version', 0)
  const hash = values['hash']
  if (hash !== undefined && !/^[0-9a-f]{4,64}$/i.test(hash)) throw new UsageError(`--hash must be 4 to 64 hex digits, got "${hash}"`)
  const record = await api.restore(path, version, hash === undefined ? {} : { hash })
  if (ctx.json) {
    ctx.print(JSON.stringify(record))
  } else if (record.status === 'applied' || record.status === 'unchanged') {
    ctx.print(`restored ${path} from version ${version}: ${record.status} (now version ${record.version})`)
  } else {
    ctx.printError(`restored ${path} from version ${version} onto disk, but the transaction was ${record.status}:`)
    for (const p of record.problems) ctx.printError(`  ${formatLocated(p)}`)
    if (record.error) ctx.printError(`  ${formatLocated(record.error)}`)
  }
  return record.status === 'applied' || record.status === 'unchanged' ? OK : FAILED
}

async function prune(api: BackupApi, args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(args, {
    'keep-versions': { type: 'string' },
    'max-age-ms': { type: 'string' },
    'max-total-bytes': { type: 'string' },
  })
  if (positionals.length > 0) throw new UsageError('prune takes no positional arguments')
  const policy: RetentionPolicy = {
    ...(values['keep-versions'] === undefined ? {} : { keepVersions: toInteger(values['keep-versions'], '--keep-versions', 1) }),
    ...(values['max-age-ms'] === undefined ? {} : { maxAgeMs: toInteger(values['max-age-ms'], '--max-age-ms', 0) }),
    ...(values['max-total-bytes'] === undefined ? {} : { maxTotalBytes: toInteger(values['max-total-bytes'], '--max-total-bytes', 0) }),
  }
  // No flags: the limits configured on the plugin.
  const result = await api.prune(Object.keys(policy).length > 0 ? policy : undefined)
  if (ctx.json) ctx.print(JSON.stringify(result))
  else ctx.print(`removed ${result.removedBackups} backup(s) and ${result.removedObjects} object(s), freed ${result.freedBytes} bytes; ${result.keptBackups} backup(s) kept`)
  return OK
}

function toInteger(text: string, what: string, min: number): number {
  const mistakes: string[] = []
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN
  checkCount(what, value, min, mistakes)
  if (mistakes.length > 0 || Number.isNaN(value)) throw new UsageError(`${what} must be an integer >= ${min}, got "${text}"`)
  return value
}
