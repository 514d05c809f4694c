import { parseArgs } from 'node:util'
import { formatLocated, HotReloadError, type CommandContext } from '@hotreload/core'
import { describeAbort } from './member.js'
import type { FleetPlugin, FleetStatus } from './plugin.js'
import type { PublishOutcome } from './proposer.js'

const USAGE = `hotreload fleet status [--json]
hotreload fleet publish           (role: 'proposer': validate the files here, then publish them)
hotreload fleet promote <branch>
hotreload fleet end <branch>`

const OK = 0
const FAILED = 1
const USAGE_ERROR = 2

/** The CLI command as kernel v2 declares it (`Plugin.command`). */
export interface FleetCommand {
  readonly description: string
  readonly usage: string
  readOnly(args: readonly string[]): boolean
  run(args: readonly string[], ctx: CommandContext): Promise<number>
}

/**
 * `hotreload fleet <status|publish|promote|end>`. Every subcommand runs on a dry-run instance:
 * nothing is applied or written locally; publish validates the files with this config's plugins
 * first. Exit codes: 0 done (publish: committed or already the fleet's), 1 aborted, refused or
 * failed, 2 wrong arguments.
 */
export function createFleetCommand(plugin: () => FleetPlugin): FleetCommand {
  return {
    description: 'show the fleet, publish a version to it, promote or end a gray branch',
    usage: USAGE,
    readOnly: () => true,
    async run(args, ctx) {
      let parsed
      try {
        parsed = parseArgs({ args: [...args], allowPositionals: true, strict: true, options: {} })
      } catch (error) {
        return usage(ctx, error instanceof Error ? error.message : String(error))
      }
      const [sub, ...rest] = parsed.positionals
      try {
        if (sub === 'status' && rest.length === 0) return await status(plugin(), ctx)
        if (sub === 'publish' && rest.length === 0) return await publish(plugin(), ctx)
        if (sub === 'promote' && rest.length === 1) return report(ctx, await plugin().promote(rest[0] as string, proposed(ctx)))
        if (sub === 'end' && rest.length === 1) {
          const ended = await plugin().endBranch(rest[0] as string)
          if (ctx.json) ctx.print(JSON.stringify({ type: 'fleet:branch-ended', branch: rest[0], ended }))
          else ctx.print(ended ? `branch ${rest[0]} ended: its members return to the main line` : `there is no branch ${rest[0]}`)
          return ended ? OK : FAILED
        }
        return usage(ctx, sub === undefined ? 'missing subcommand' : `wrong use of "${sub}"`)
      } catch (error) {
        if (error instanceof HotReloadError) {
          ctx.printError(`hotreload fleet: ${formatLocated(error)}`)
          return FAILED
        }
        throw error
      }
    },
  }
}

function usage(ctx: CommandContext, problem: string): number {
  ctx.printError(`hotreload fleet: ${problem}\nUsage:\n${USAGE}`)
  return USAGE_ERROR
}

function proposed(ctx: CommandContext) {
  return (p: { id: string; version: number; participants: readonly string[] }) => {
    if (ctx.json) ctx.print(JSON.stringify({ type: 'fleet:proposed', proposal: p.id, fleetVersion: p.version, participants: p.participants }))
    else ctx.print(`proposed version ${p.version} (${p.id}) to ${p.participants.length === 0 ? 'no member' : p.participants.join(', ')}`)
  }
}

async function publish(plugin: FleetPlugin, ctx: CommandContext): Promise<number> {
  const last = ctx.reloader.status().last
  if (last && last.problems.length > 0) {
    for (const p of last.problems) ctx.printError(`hotreload fleet: ${formatLocated(p)}`)
    ctx.printError('hotreload fleet: nothing published: the files are not valid here')
    return FAILED
  }
  return report(ctx, await plugin.publishValidated(proposed(ctx)), plugin)
}

async function report(ctx: CommandContext, outcome: PublishOutcome, plugin?: FleetPlugin): Promise<number> {
  if (outcome.state === 'unchanged') {
    if (ctx.json) ctx.print(JSON.stringify({ type: 'fleet:unchanged', fleetVersion: outcome.version }))
    else ctx.print(`nothing to publish: the fleet already holds these files as version ${outcome.version}`)
    return OK
  }
  const votes = plugin ? (await plugin.proposal(outcome.proposal))?.votes ?? {} : {}
  if (ctx.json) {
    ctx.print(JSON.stringify({ type: outcome.state === 'committed' ? 'fleet:committed' : 'fleet:aborted', ...outcome, votes }))
  } else {
    for (const [member, vote] of Object.entries(votes).sort(([a], [b]) => (a < b ? -1 : 1))) {
      ctx.print(`  ${member}: ${vote.ack ? 'ACK' : `NACK ${vote.problems.map((p) => formatLocated(p)).join('; ')}`}`)
    }
    if (outcome.state === 'committed') {
      ctx.print(`committed version ${outcome.version}${outcome.excluded.length > 0 ? ` (excluded, lease expired: ${outcome.excluded.join(', ')})` : ''}`)
    } else {
      ctx.print(`aborted version ${outcome.version}: ${describeAbort(outcome.abort)}`)
    }
  }
  return outcome.state === 'committed' ? OK : FAILED
}

async function status(plugin: FleetPlugin, ctx: CommandContext): Promise<number> {
  const s = await plugin.status()
  if (ctx.json) {
    ctx.print(JSON.stringify(s))
    return OK
  }
  for (const line of formatStatus(s)) ctx.print(line)
  return OK
}

/** The text form of `fleet status`. */
export function formatStatus(s: FleetStatus): string[] {
  const { snapshot } = s
  const lines = [`fleet ${s.fleet} (epoch ${snapshot.epoch || 'none yet'})`]
  lines.push(snapshot.current ? `committed: version ${snapshot.current.version} (manifest ${snapshot.current.manifest.slice(0, 12)})` : 'committed: nothing yet')
  lines.push(`members (${snapshot.members.length}):`)
  for (const m of snapshot.members) {
    const labels = Object.entries(m.info?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',')
    const lease = Math.max(0, m.expires - snapshot.now)
    lines.push(`  ${m.id}  version ${m.info?.version ?? '?'}${m.info?.state === 'diverged' ? ` DIVERGED (${m.info.problem ?? ''})` : ''}${labels ? `  [${labels}]` : ''}  lease ${lease} ms${m.info?.branch ? `  branch ${m.info.branch}` : ''}`)
  }
  if (s.open) {
    const o = s.open
    lines.push(`open proposal ${o.id}: version ${o.version}${o.branch ? ` on branch ${o.branch}` : ''}, deadline in ${Math.max(0, o.deadline - snapshot.now)} ms`)
    for (const p of o.participants) {
      const v = o.votes[p]
      lines.push(`  ${p}: ${v === undefined ? 'waiting' : v.ack ? 'ACK' : `NACK ${v.problems.map((x) => formatLocated(x)).join('; ')}`}`)
    }
  } else {
    lines.push('open proposal: none')
  }
  lines.push(snapshot.branches.length === 0 ? 'branches: none' : 'branches:')
  for (const b of snapshot.branches) {
    lines.push(`  ${b.name}: version ${b.version} for ${Object.entries(b.target ?? {}).map(([k, v]) => `${k}=${v}`).join(',')}`)
  }
  return lines
}
