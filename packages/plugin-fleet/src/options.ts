import { hostname } from 'node:os'
import { checkOptions } from '@hotreload/core'
import { Type } from '@sinclair/typebox'
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

const NAME_PATTERN = '^[A-Za-z0-9._-]+$'
const Labels = Type.Record(Type.String(), Type.String())
const OptionsSchema = Type.Object(
  {
    // role and redis get messages of their own below (a union's ajv wording names no fix).
    role: Type.Optional(Type.Unknown()),
    redis: Type.Optional(Type.Unknown()),
    fleet: Type.Optional(Type.String({ pattern: NAME_PATTERN })),
    id: Type.Optional(Type.String({ pattern: NAME_PATTERN })),
    labels: Type.Optional(Labels),
    leaseMs: Type.Optional(Type.Integer({ minimum: 1 })),
    heartbeatMs: Type.Optional(Type.Integer({ minimum: 1 })),
    voteTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    target: Type.Optional(Labels),
    branch: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._=,-]+$' })),
    maxEvents: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
)

/** Checks and completes the options; throws naming the bad option (with a did-you-mean). Never mutates its input. */
export function resolveFleetOptions(options: FleetOptions): ResolvedFleetOptions {
  const checked = checkOptions(OptionsSchema, options, { source: 'fleetPlugin()', plugin: 'fleet', hint: 'See the README of @hotreload/plugin-fleet.' })
  if (checked.role !== 'proposer' && checked.role !== 'member') {
    throw new FleetOptionsError(`fleetPlugin(): option "role" must be 'proposer' or 'member', got ${JSON.stringify(checked.role)}`, {
      hint: "Use role: 'member' in app instances and role: 'proposer' where edits are made.",
    })
  }
  const redis = checked.redis
  if ((typeof redis !== 'string' || redis === '') && (typeof redis !== 'object' || redis === null || Array.isArray(redis))) {
    throw new FleetOptionsError('fleetPlugin(): option "redis" is required: a URL, a unix socket path or ioredis options', {
      hint: "Pass redis: 'redis://127.0.0.1:6379' (start redis-server with --appendonly yes).",
    })
  }
  const fleet = checked.fleet ?? 'default'
  const id = checked.id ?? `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, '-')
  const labels = Object.freeze({ ...(checked.labels ?? {}) })
  const target = Object.freeze({ ...(checked.target ?? {}) })
  const leaseMs = checked.leaseMs ?? 5_000
  const heartbeatMs = checked.heartbeatMs ?? Math.max(50, Math.floor(leaseMs / 3))
  if (heartbeatMs >= leaseMs) {
    throw new FleetOptionsError(`fleetPlugin(): option "heartbeatMs" (${heartbeatMs}) must be shorter than "leaseMs" (${leaseMs})`, {
      hint: 'Renew a lease a few times per lease period, e.g. heartbeatMs = leaseMs / 3.',
    })
  }
  if (Object.keys(target).length === 0 && checked.branch !== undefined) {
    throw new FleetOptionsError('fleetPlugin(): option "branch" needs a "target": a branch holds a gray release to the members the target selects')
  }
  const branch = checked.branch ?? Object.entries(target).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(',')
  return Object.freeze({
    role: checked.role,
    redis: redis as RedisTarget,
    fleet,
    id,
    labels,
    leaseMs,
    heartbeatMs,
    voteTimeoutMs: checked.voteTimeoutMs ?? 10_000,
    target,
    branch,
    maxEvents: checked.maxEvents ?? 10_000,
  })
}
