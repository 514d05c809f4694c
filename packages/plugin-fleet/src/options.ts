import { hostname } from 'node:os'
import { FleetOptionsError } from './errors.js'
import type { RedisTarget } from './store.js'
import type { Labels } from './types.js'

/** Options of `fleet()`. */
export interface FleetOptions {
  /**
   * `member`: an app instance; its changes come from the fleet (Redis), never from local files,
   * and it votes on every proposal it takes part in. `proposer`: watches the local files as
   * usual and publishes each validated change to the fleet, applying it locally only once the
   * fleet committed it.
   */
  readonly role: 'proposer' | 'member'
  /** Where Redis is: `redis://host:port/db`, a unix socket path, or ioredis options. Run it with `appendonly yes`. */
  readonly redis: RedisTarget
  /** Name of the fleet: the hash tag of its keys, so several fleets can share a Redis. Default `default`. */
  readonly fleet?: string
  /** This member's id in the fleet. Default: `<hostname>-<pid>`. */
  readonly id?: string
  /** Labels a proposal's target selects members by (`{ canary: 'true' }`). Default none. */
  readonly labels?: Labels
  /** How long a member's lease lasts without a heartbeat. Default 5000 ms. */
  readonly leaseMs?: number
  /** How often a member renews its lease (and settles an open proposal). Default leaseMs / 3. */
  readonly heartbeatMs?: number
  /** Proposer: how long members have to vote before a missing vote aborts. Default 10 000 ms. */
  readonly voteTimeoutMs?: number
  /** Proposer: publish only to members with these labels, as the gray branch `branch`. */
  readonly target?: Labels
  /** Proposer: the branch name of a targeted proposal. Default: the target as `k=v,k=v`. */
  readonly branch?: string
  /** Events kept in the Redis stream; a member further behind re-reads the state. Default 10 000. */
  readonly maxEvents?: number
}

/** Options after defaults. */
export interface ResolvedFleetOptions {
  readonly role: 'proposer' | 'member'
  readonly redis: RedisTarget
  readonly fleet: string
  readonly id: string
  readonly labels: Labels
  readonly leaseMs: number
  readonly heartbeatMs: number
  readonly voteTimeoutMs: number
  readonly target: Labels
  readonly branch: string
  readonly maxEvents: number
}

const KNOWN = new Set(['role', 'redis', 'fleet', 'id', 'labels', 'leaseMs', 'heartbeatMs', 'voteTimeoutMs', 'target', 'branch', 'maxEvents'])
const NAME = /^[A-Za-z0-9._-]+$/

/** Checks and completes the options; throws `FleetOptionsError` naming the bad option. Never mutates its input. */
export function resolveFleetOptions(options: FleetOptions): ResolvedFleetOptions {
  if (typeof options !== 'object' || options === null) throw new FleetOptionsError('fleet() needs an options object', { hint: "Pass fleet({ role: 'member', redis: 'redis://127.0.0.1:6379' })." })
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new FleetOptionsError(`unknown option "${key}"`, { hint: `Known options: ${[...KNOWN].join(', ')}.` })
  }
  if (options.role !== 'proposer' && options.role !== 'member') {
    throw new FleetOptionsError(`option "role" must be 'proposer' or 'member', got ${JSON.stringify(options.role)}`, { hint: "Use role: 'member' in app instances and role: 'proposer' where edits are made." })
  }
  if (options.redis === undefined || options.redis === null || (typeof options.redis !== 'string' && typeof options.redis !== 'object')) {
    throw new FleetOptionsError('option "redis" is required: a URL, a unix socket path or ioredis options', { hint: "Pass redis: 'redis://127.0.0.1:6379' (start redis-server with --appendonly yes)." })
  }
  const fleet = options.fleet ?? 'default'
  if (!NAME.test(fleet)) throw new FleetOptionsError(`option "fleet" must be letters, digits, ".", "_" or "-", got ${JSON.stringify(fleet)}`)
  const id = options.id ?? `${hostname()}-${process.pid}`
  if (!NAME.test(id)) throw new FleetOptionsError(`option "id" must be letters, digits, ".", "_" or "-", got ${JSON.stringify(id)}`)
  const labels = checkLabels('labels', options.labels)
  const target = checkLabels('target', options.target)
  const leaseMs = checkMs('leaseMs', options.leaseMs, 5_000)
  const heartbeatMs = checkMs('heartbeatMs', options.heartbeatMs, Math.max(50, Math.floor(leaseMs / 3)))
  if (heartbeatMs >= leaseMs) throw new FleetOptionsError(`option "heartbeatMs" (${heartbeatMs}) must be shorter than "leaseMs" (${leaseMs})`, { hint: 'Renew a lease a few times per lease period, e.g. heartbeatMs = leaseMs / 3.' })
  const voteTimeoutMs = checkMs('voteTimeoutMs', options.voteTimeoutMs, 10_000)
  const maxEvents = checkMs('maxEvents', options.maxEvents, 10_000)
  const branch = options.branch ?? Object.entries(target).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(',')
  if (Object.keys(target).length === 0 && options.branch !== undefined) throw new FleetOptionsError('option "branch" needs a "target": a branch holds a gray release to the members the target selects')
  return Object.freeze({ role: options.role, redis: options.redis, fleet, id, labels, leaseMs, heartbeatMs, voteTimeoutMs, target, branch, maxEvents })
}

function checkLabels(name: string, value: Labels | undefined): Labels {
  if (value === undefined) return Object.freeze({})
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FleetOptionsError(`option "${name}" must be an object of string labels`)
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new FleetOptionsError(`option "${name}.${k}" must be a string, got ${typeof v}`, { hint: `Write ${k}: '${String(v)}'.` })
  }
  return Object.freeze({ ...value })
}

function checkMs(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value <= 0) throw new FleetOptionsError(`option "${name}" must be a positive integer, got ${JSON.stringify(value)}`)
  return value
}
