import { createHash, randomUUID } from 'node:crypto'
import { Redis, type RedisOptions } from 'ioredis'
import type { Problem } from '@hotreload/core'
import { FleetBlobError, FleetRedisError } from './errors.js'
import { baseKeys, fleetKeys, proposalKeys, type FleetKeys } from './keys.js'
import { follow, type Follower, type FollowHandlers } from './follow.js'
import { abortDetails, decision, list, pointer } from './replies.js'
import { END_BRANCH, HEARTBEAT, PROPOSE, SETTLE, SNAPSHOT, VOTE } from './scripts.js'
import type { Decision, Labels, Manifest, MemberInfo, Pointer, ProposalState, Snapshot, Vote } from './types.js'

/** Where Redis is: a URL (`redis://host:6379/0`), a unix socket path, or ioredis options. */
export type RedisTarget = string | RedisOptions

export interface StoreOptions {
  readonly redis: RedisTarget
  /** The fleet's name: the hash tag of its keys. */
  readonly fleet: string
  /** Events kept in the stream before the oldest are trimmed. */
  readonly maxEvents: number
  /** Every connection error, once per outage (never an unhandled `error` event). */
  onError(error: FleetRedisError): void
}

/** What `propose()` answers. */
export type ProposeResult =
  | { readonly result: 'ok'; readonly id: string; readonly version: number; readonly deadline: number; readonly participants: readonly string[]; readonly epoch: string; readonly decision: Decision }
  | { readonly result: 'busy'; readonly open: string }
  | { readonly result: 'stale'; readonly current: number }
  | { readonly result: 'missing'; readonly hash: string; readonly path?: string }
  | { readonly result: 'unknown-branch'; readonly branch: string }

export interface ProposeInput {
  readonly manifest: string
  /** The version the proposer builds on (of the branch when updating one); -1 skips the check. */
  readonly base: number
  /** Labels the participants must carry; empty: every member. */
  readonly target?: Labels
  /** Branch a targeted proposal commits on (required with a target). */
  readonly branch?: string
  /** On commit, this branch is removed: its content became the main line. */
  readonly promotes?: string
  readonly voteMs: number
  readonly proposer: string
  /** The highest version the proposer has seen: the counter never goes below it. */
  readonly floor?: number
  /** Every blob hash the manifest names (declared as KEYS). */
  readonly blobs: readonly string[]
}

export type VoteResult = { readonly result: 'ok' | 'late' | 'already' | 'not-participant' | 'expired' | 'unknown'; readonly decision?: Decision }

/** sha256 hex of bytes: the name of a blob. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The manifest's canonical bytes: files sorted by path, so equal content gives an equal hash. */
export function encodeManifest(manifest: Manifest): Buffer {
  const files: Record<string, { hash: string; size: number }> = {}
  for (const path of Object.keys(manifest.files).sort()) {
    const entry = manifest.files[path]
    if (entry) files[path] = { hash: entry.hash, size: entry.size }
  }
  return Buffer.from(JSON.stringify({ files }))
}

/**
 * The fleet's shared state in Redis: blobs, manifests, and the scripts that decide. Holds one
 * command connection (and one blocking connection per `reader()`), each with an `error`
 * listener, so an outage is reported through `onError` with a hint and ioredis keeps retrying.
 */
export class FleetStore {
  readonly keys: FleetKeys
  readonly #options: StoreOptions
  readonly #connections = new Set<Redis>()
  readonly #cmd: Redis
  readonly #shas = new Map<string, string>()
  readonly #followers = new Set<Follower>()
  #closed = false
  // A command stashed while its connection reconnects is never settled by disconnect()
  // (ioredis PR #2197): every awaited command races this, which rejects on close().
  #markClosed: () => void = () => {}
  readonly #closing = new Promise<never>((_resolve, reject) => {
    this.#markClosed = () => reject(new FleetRedisError('the fleet store is closed', { hint: 'Nothing to do: the instance is shutting down.' }))
  })

  constructor(options: StoreOptions) {
    // Nobody may be waiting when the store closes; the rejection is then not an unhandled one.
    this.#closing.catch(() => undefined)
    this.#options = options
    this.keys = fleetKeys(options.fleet)
    this.#cmd = this.connect('commands')
  }

  /** Opens a connection with its error listener; the store closes it. */
  connect(role: string): Redis {
    const target = this.#options.redis
    // RESP2: reply shapes (XREAD, HGETALL) are the documented arrays whatever the server speaks.
    // No retry limit per request: a command issued during an outage waits for the reconnect.
    const base: RedisOptions = { maxRetriesPerRequest: null }
    const redis = typeof target === 'string' ? new Redis(target, { ...base, protocol: 2 }) : new Redis({ ...base, ...target, protocol: 2 })
    // ioredis emits `error` on every failed reconnect attempt: report once per outage.
    let reported = false
    redis.on('error', (error: Error) => {
      if (reported || this.#closed) return
      reported = true
      this.#options.onError(new FleetRedisError(`Redis ${role} connection failed: ${error.message}`, { cause: error }))
    })
    redis.on('ready', () => {
      reported = false
    })
    this.#connections.add(redis)
    return redis
  }

  /** A dedicated connection for blocking stream reads. */
  reader(): Redis {
    return this.connect('stream reader')
  }

  /** Settles with `command`, or rejects once the store closes (whichever comes first). */
  guard<T>(command: Promise<T>): Promise<T> {
    return Promise.race([command, this.#closing])
  }

  /** Follows the event stream (see follow.ts); stopped by its `close()` or the store's. */
  follow(handlers: FollowHandlers): Follower {
    const follower = follow(this, handlers)
    this.#followers.add(follower)
    return { started: follower.started, resync: (why) => follower.resync(why), close: () => follower.close() }
  }

  async #script<T>(lua: string, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
    // A command sent on a connection that is closing can wait forever: refuse it instead.
    if (this.#closed) throw new FleetRedisError('the fleet store is closed', { hint: 'Nothing to do: the instance is shutting down.' })
    let sha = this.#shas.get(lua)
    if (sha === undefined) {
      sha = createHash('sha1').update(lua).digest('hex')
      this.#shas.set(lua, sha)
    }
    let reply: unknown
    try {
      reply = await this.guard(this.#cmd.evalsha(sha, keys.length, ...keys, ...args))
    } catch (error) {
      // The script cache is empty after a Redis restart: send the body once, then EVALSHA again.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw wrap(error)
      reply = await this.guard(this.#cmd.eval(lua, keys.length, ...keys, ...args)).catch((e: unknown) => Promise.reject(wrap(e)))
    }
    return JSON.parse(String(reply)) as T
  }

  /** Stores bytes under their sha256 (immutable: the same name always holds the same bytes). */
  async putBlobs(blobs: readonly Uint8Array[]): Promise<string[]> {
    if (blobs.length === 0) return []
    const pipeline = this.#cmd.pipeline()
    const hashes = blobs.map((bytes) => {
      const hash = sha256(bytes)
      pipeline.set(this.keys.blob(hash), Buffer.from(bytes))
      return hash
    })
    const results = await this.guard(pipeline.exec()).catch((e: unknown) => Promise.reject(wrap(e)))
    for (const [error] of results ?? []) if (error) throw wrap(error)
    return hashes
  }

  /** Reads a blob and checks that its bytes hash to its name. Throws `FleetBlobError` otherwise. */
  async getBlob(hash: string, path?: string): Promise<Buffer> {
    const bytes = await this.guard(this.#cmd.getBuffer(this.keys.blob(hash))).catch((e: unknown) => Promise.reject(wrap(e)))
    if (bytes === null) throw new FleetBlobError('missing', hash, path === undefined ? {} : { path })
    if (sha256(bytes) !== hash) throw new FleetBlobError('corrupt', hash, path === undefined ? {} : { path })
    return bytes
  }

  /** Stores a manifest as a blob; resolves with its hash. */
  async putManifest(manifest: Manifest): Promise<string> {
    const [hash] = await this.putBlobs([encodeManifest(manifest)])
    return hash as string
  }

  /** Reads and checks a manifest blob. */
  async getManifest(hash: string): Promise<Manifest> {
    const parsed = JSON.parse((await this.getBlob(hash)).toString('utf8')) as { files?: Manifest['files'] }
    return { files: parsed.files ?? {} }
  }

  /** Opens a proposal (see scripts.ts PROPOSE for the rules). */
  async propose(input: ProposeInput): Promise<ProposeResult> {
    const id = randomUUID()
    const blobKeys = [...new Set(input.blobs)].map((h) => this.keys.blob(h))
    const reply = await this.#script<Record<string, unknown>>(PROPOSE, [...proposalKeys(this.keys, id), this.keys.blob(input.manifest), ...blobKeys], [
      id,
      input.base,
      input.manifest,
      JSON.stringify(input.target ?? {}),
      input.branch ?? '',
      input.voteMs,
      input.proposer,
      input.floor ?? 0,
      this.#options.maxEvents,
      input.promotes ?? '',
    ])
    if (reply['result'] === 'ok') {
      return { ...(reply as unknown as ProposeResult & { result: 'ok' }), participants: list(reply['participants']), decision: decision(reply['decision']) }
    }
    return reply as unknown as ProposeResult
  }

  /** Records a member's vote once; resolves with the result and the decision if now known. */
  async vote(id: string, member: string, ack: boolean, problems: readonly Problem[] = [], reason = ''): Promise<VoteResult> {
    const reply = await this.#script<{ result: VoteResult['result']; decision?: unknown }>(VOTE, proposalKeys(this.keys, id), [
      id,
      member,
      ack ? '1' : '0',
      JSON.stringify(problems),
      reason,
      this.#options.maxEvents,
    ])
    return reply.decision === undefined ? { result: reply.result } : { result: reply.result, decision: decision(reply.decision) }
  }

  /** Decides a proposal if its votes or its deadline allow; anyone may call it, any number of times. */
  async settle(id: string): Promise<Decision> {
    return decision(await this.#script<unknown>(SETTLE, proposalKeys(this.keys, id), [id, this.#options.maxEvents]))
  }

  /** Joins or renews the lease of `member`; resolves with the epoch, Redis time and the open proposal. */
  async heartbeat(member: string, leaseMs: number, info: MemberInfo): Promise<{ epoch: string; now: number; joined: boolean; expires: number; open: string }> {
    return this.#script(HEARTBEAT, baseKeys(this.keys), [member, leaseMs, JSON.stringify(info), info.version, this.#options.maxEvents, 'beat'])
  }

  /** Gives up the lease of `member` now. */
  async leave(member: string): Promise<void> {
    await this.#script(HEARTBEAT, baseKeys(this.keys), [member, 0, '{}', 0, this.#options.maxEvents, 'leave'])
  }

  /** Ends a gray branch: its members return to the main line. */
  async endBranch(name: string): Promise<{ result: 'ok' | 'unknown-branch'; branch?: Pointer }> {
    return this.#script(END_BRANCH, baseKeys(this.keys), [name, this.#options.maxEvents])
  }

  /** One consistent read of the shared state. */
  async snapshot(): Promise<Snapshot> {
    const raw = await this.#script<Record<string, unknown>>(SNAPSHOT, baseKeys(this.keys), [])
    const members = list<Snapshot['members'][number]>(raw['members'])
    return {
      ...(raw as unknown as Snapshot),
      ...(raw['current'] ? { current: pointer(raw['current']) } : {}),
      branches: list(raw['branches']).map(pointer),
      members,
    }
  }

  /** A proposal with participants and votes (status display); undefined when unknown. */
  async proposal(id: string): Promise<ProposalState | undefined> {
    const [fields, participants, votes] = await this.guard(
      Promise.all([this.#cmd.hgetall(this.keys.proposal(id)), this.#cmd.smembers(this.keys.participants(id)), this.#cmd.hgetall(this.keys.votes(id))]),
    ).catch((e: unknown) => Promise.reject(wrap(e)))
    if (!fields['id']) return undefined
    const parsedVotes: Record<string, Vote> = {}
    for (const [member, json] of Object.entries(votes)) {
      const v = JSON.parse(json) as Vote
      parsedVotes[member] = { ...v, problems: list(v.problems) }
    }
    return {
      id: fields['id'],
      status: fields['status'] as ProposalState['status'],
      version: Number(fields['version']),
      base: Number(fields['base']),
      manifest: fields['manifest'] ?? '',
      target: JSON.parse(fields['target'] ?? '{}') as Labels,
      branch: fields['branch'] ?? '',
      promotes: fields['promotes'] ?? '',
      proposer: fields['proposer'] ?? '',
      deadline: Number(fields['deadline']),
      createdAt: Number(fields['createdAt']),
      participants: participants.sort(),
      votes: parsedVotes,
      ...(fields['excluded'] ? { excluded: list(JSON.parse(fields['excluded'])) } : {}),
      ...(fields['abort'] ? { abort: abortDetails(JSON.parse(fields['abort'])) } : {}),
    }
  }

  /** Round trip to Redis (the bench's floor). */
  async ping(): Promise<void> {
    await this.guard(this.#cmd.ping()).catch((e: unknown) => Promise.reject(wrap(e)))
  }

  /** Closes every connection of the store. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#markClosed()
    await Promise.all([...this.#followers].map((f) => f.close()))
    this.#followers.clear()
    await Promise.all(
      [...this.#connections].map(async (redis) => {
        // quit() waits for replies still due; a connection that is down has none to wait for.
        if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect())
        else redis.disconnect()
      }),
    )
    this.#connections.clear()
  }
}

function wrap(error: unknown): Error {
  if (error instanceof FleetRedisError || error instanceof FleetBlobError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new FleetRedisError(`Redis command failed: ${message}`, { cause: error })
}
