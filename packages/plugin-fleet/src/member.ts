import { toErrorInfo, toProblem, type ErrorInfo, type Problem } from '@hotreload/core'
import { Decisions } from './decisions.js'
import { FleetError } from './errors.js'
import { isFleetTx, plainProblems, type FleetKernel, type Tx, type TxRecord } from './kernel-adapter.js'
import type { ResolvedFleetOptions } from './options.js'
import { FleetSource } from './source.js'
import type { FleetStore } from './store.js'
import type { Follower } from './follow.js'
import type { AbortDetails, Labels, Manifest, MemberInfo, Pointer, Snapshot, StreamEvent } from './types.js'

/** What a member serves and how it stands, as `status()` reports it. */
export interface MemberStatus {
  readonly id: string
  readonly labels: Labels
  readonly fleetVersion: number
  readonly manifest: string
  readonly branch: string
  readonly state: 'ok' | 'diverged'
  readonly problem?: string
  readonly epoch: string
}

interface Serving {
  readonly version: number
  readonly hash: string
  readonly manifest: Manifest
  readonly branch: string
}

/** The proposal this member is validating in the transaction now running. */
interface Voting {
  readonly id: string
  readonly version: number
  readonly pointer: Serving
  readonly participants: readonly string[]
  voted: boolean
  committed: boolean
}

const EMPTY: Serving = Object.freeze({ version: 0, hash: '', manifest: { files: {} }, branch: '' })
const START_TIMEOUT_MS = 10_000

/**
 * One app instance in the fleet. Its change source is the fleet: every version comes from Redis,
 * checked by sha256. It joins once its initial load is done (so it never votes before it serves
 * something), renews its lease, follows the event stream, validates each proposal it takes part
 * in with the instance's own plugins, votes, and applies only what the fleet committed.
 */
export class Member {
  readonly source: FleetSource
  readonly #kernel: FleetKernel
  readonly #store: FleetStore
  readonly #options: ResolvedFleetOptions
  readonly #decisions: Decisions
  #serving: Serving = EMPTY
  #loading: Serving | undefined
  #voting: Voting | undefined
  #state: 'ok' | 'diverged' = 'ok'
  #problem: string | undefined
  #divergedAt = -1
  #epoch = ''
  #work: Promise<void> = Promise.resolve()
  #follower: Follower | undefined
  #beat: NodeJS.Timeout | undefined
  #closed = false

  constructor(kernel: FleetKernel, store: FleetStore, options: ResolvedFleetOptions) {
    this.#kernel = kernel
    this.#store = store
    this.#options = options
    this.#decisions = new Decisions(store, options.heartbeatMs)
    this.source = new FleetSource(kernel.root, store, () => this.#loadInitial())
  }

  status(): MemberStatus {
    return {
      id: this.#options.id,
      labels: this.#options.labels,
      fleetVersion: this.#serving.version,
      manifest: this.#serving.hash,
      branch: this.#serving.branch,
      state: this.#state,
      ...(this.#problem ? { problem: this.#problem } : {}),
      epoch: this.#epoch,
    }
  }

  /** The initial load fetches the committed version (of this member's branch, if one targets it). */
  async #loadInitial(): Promise<void> {
    const snapshot = await withTimeout(this.#store.snapshot(), START_TIMEOUT_MS, () => new FleetError('HR_FLEET_START', `Redis did not answer within ${START_TIMEOUT_MS} ms while loading the committed version`, {
      hint: 'Start redis-server (with --appendonly yes) where the "redis" option points; a member needs the fleet to load its first version.',
    }))
    this.#epoch = snapshot.epoch
    const pointer = desired(snapshot, this.#options.labels)
    if (!pointer) return
    const manifest = await this.#store.getManifest(pointer.manifest)
    this.#loading = { version: pointer.version, hash: pointer.manifest, manifest, branch: pointer.name ?? '' }
    this.source.setTarget(manifest)
  }

  /** Called with the initial load's record: it decides what this member serves at `ready`. */
  afterInitial(record: TxRecord | undefined): void {
    const loading = this.#loading
    this.#loading = undefined
    if (!loading) return
    // No record: nothing ran, the version has no file.
    if (record === undefined || record.status === 'applied' || record.status === 'unchanged') {
      this.#serving = loading
      this.#kernel.emit({ type: 'fleet:caught-up', paths: [], fleetVersion: loading.version, branch: loading.branch })
      return
    }
    this.source.setTarget(this.#serving.manifest)
    this.#diverge(loading.version, record.problems, record.error)
  }

  /** Joins the fleet and starts following it; after `ready`. */
  start(): void {
    if (this.#closed) return
    void this.#heartbeat()
    this.#follower = this.#store.follow({
      onEvent: (event) => this.#onEvent(event),
      onSnapshot: (snapshot) => this.#enqueue(() => this.#onSnapshot(snapshot)),
      onError: (error) => this.#report(error),
    })
    this.#follower.started.catch((error: unknown) => this.#report(error))
  }

  async #heartbeat(): Promise<void> {
    if (this.#closed) return
    try {
      const beat = await this.#store.heartbeat(this.#options.id, this.#options.leaseMs, this.#info())
      if (this.#epoch !== '' && beat.epoch !== this.#epoch) this.#follower?.resync('epoch')
      this.#epoch = beat.epoch
      // Anyone may settle: a proposal whose proposer died is decided by the members' heartbeats.
      if (beat.open) this.#decisions.seen(await this.#store.settle(beat.open))
    } catch (error) {
      if (!this.#closed) this.#report(error)
    }
    if (!this.#closed) this.#beat = setTimeout(() => void this.#heartbeat(), this.#options.heartbeatMs)
  }

  #info(): MemberInfo {
    return {
      labels: this.#options.labels,
      version: this.#serving.version,
      manifest: this.#serving.hash,
      state: this.#state,
      branch: this.#serving.branch,
      runId: this.#kernel.runId,
      pid: process.pid,
      ...(this.#problem ? { problem: this.#problem } : {}),
    }
  }

  #onEvent(event: StreamEvent): void {
    if (event.kind === 'propose') {
      if (event.participants.includes(this.#options.id)) this.#enqueue(() => this.#vote(event))
      return
    }
    if (event.kind === 'commit') {
      this.#decisions.seen({ state: 'committed', id: event.id, version: event.version, excluded: event.excluded })
      const mine = this.#voting?.id === event.id && !event.excluded.includes(this.#options.id)
      if (!mine) this.#enqueue(() => this.#catchUp())
      return
    }
    if (event.kind === 'abort') {
      this.#decisions.seen({ state: 'aborted', id: event.id, version: event.version, abort: event.abort })
      return
    }
    if (event.kind === 'branch-end') this.#enqueue(() => this.#catchUp())
  }

  async #onSnapshot(snapshot: Snapshot): Promise<void> {
    this.#epoch = snapshot.epoch
    await this.#catchUp(snapshot)
    // A proposal opened while this member was not reading (a gap): vote on it if it is ours.
    if (snapshot.open === '') return
    const open = await this.#store.proposal(snapshot.open)
    if (open?.status === 'open' && open.participants.includes(this.#options.id) && !open.votes[this.#options.id]) {
      await this.#vote({ id: open.id, version: open.version, manifest: open.manifest, branch: open.branch, participants: open.participants })
    }
  }

  /** Validates a proposal in a fleet transaction; the prepare tap votes ACK and waits. */
  async #vote(p: { id: string; version: number; manifest: string; branch: string; participants: readonly string[] }): Promise<void> {
    let manifest: Manifest
    try {
      manifest = await this.#store.getManifest(p.manifest)
    } catch (error) {
      await this.#castVote(p.id, p.version, false, [{ ...toProblem(error, 'fleet'), path: 'manifest' }])
      return
    }
    const voting: Voting = {
      id: p.id,
      version: p.version,
      pointer: { version: p.version, hash: p.manifest, manifest, branch: p.branch },
      participants: p.participants,
      voted: false,
      committed: false,
    }
    this.#voting = voting
    this.source.setTarget(manifest)
    let record: TxRecord
    try {
      record = await this.#kernel.reloadFleet(this.source.paths())
    } finally {
      this.#voting = undefined
    }
    if (record.status === 'applied') {
      this.#serve(voting.pointer)
      return
    }
    if (record.status === 'unchanged' && !voting.voted) {
      // Same bytes as served: nothing to validate, the vote is an ACK.
      const reply = await this.#castVote(p.id, p.version, true, [])
      const decision = reply === 'ok' || reply === 'already' ? await this.#decisions.wait(p.id) : undefined
      if (decision?.state === 'committed' && !decision.excluded.includes(this.#options.id)) this.#serve(voting.pointer)
      else this.source.setTarget(this.#serving.manifest)
      return
    }
    this.source.setTarget(this.#serving.manifest)
    if (record.status === 'rejected' && !voting.voted) {
      await this.#castVote(p.id, p.version, false, record.problems)
      return
    }
    if (record.status === 'rolled-back' && voting.committed) {
      this.#diverge(p.version, [], record.error)
      return
    }
    // Aborted (the fleet said no, this member was excluded, or its vote was refused): the
    // committed version, if any, is loaded by a fresh validation.
    this.#enqueue(() => this.#catchUp())
  }

  /** The prepare tap: in a fleet vote, ACK and wait for the decision; abort unless committed. */
  async prepare(tx: Tx): Promise<void> {
    const voting = this.#voting
    if (!isFleetTx(tx) || !voting) return
    const reply = await this.#castVote(voting.id, voting.version, true, [])
    if (reply !== 'ok' && reply !== 'already') {
      tx.abort({ code: 'HR_FLEET_VOTE_REFUSED', message: `the fleet refused this member's vote on version ${voting.version}: ${reply}`, plugin: 'fleet' })
      return
    }
    const decision = await this.#decisions.wait(voting.id, tx.signal)
    if (decision.state === 'aborted') {
      tx.abort({ code: decision.abort.code, message: describeAbort(decision.abort), plugin: 'fleet', details: decision.abort })
      return
    }
    if (decision.excluded.includes(this.#options.id)) {
      // Excluded while paused (a long GC, SIGSTOP): what it validated is not what counted.
      tx.abort({ code: 'HR_FLEET_EXCLUDED', message: `this member's lease expired before version ${voting.version} committed; it validates the committed version again`, plugin: 'fleet' })
      return
    }
    voting.committed = true
    tx.emit({ type: 'fleet:committed', paths: [], proposal: voting.id, fleetVersion: voting.version, branch: voting.pointer.branch, excluded: decision.excluded, participants: voting.participants })
  }

  async #castVote(id: string, version: number, ack: boolean, problems: readonly Problem[]): Promise<string> {
    if (this.#voting?.id === id) this.#voting.voted = true
    const reply = await this.#store.vote(id, this.#options.id, ack, plainProblems(problems))
    if (reply.decision) this.#decisions.seen(reply.decision)
    this.#kernel.emit({
      type: 'fleet:voted',
      paths: [],
      proposal: id,
      fleetVersion: version,
      ack,
      problems,
      ...(reply.result === 'ok' ? {} : { refused: reply.result }),
    })
    return reply.result
  }

  /**
   * Moves to the version this member's line points at if it does not serve it: validated like
   * any change before it applies. A failure keeps the served version and reports `diverged`.
   */
  async #catchUp(given?: Snapshot): Promise<void> {
    const snapshot = given ?? (await this.#store.snapshot())
    const want = desired(snapshot, this.#options.labels)
    if (!want) return
    if (want.manifest === this.#serving.hash) {
      if (want.version !== this.#serving.version || (want.name ?? '') !== this.#serving.branch) this.#serve({ ...this.#serving, version: want.version, branch: want.name ?? '' })
      return
    }
    // Retrying the same failed version on every event would fail the same way.
    if (this.#state === 'diverged' && this.#divergedAt === want.version) return
    let manifest: Manifest
    try {
      manifest = await this.#store.getManifest(want.manifest)
    } catch (error) {
      this.#diverge(want.version, [toProblem(error, 'fleet')])
      return
    }
    const pointer: Serving = { version: want.version, hash: want.manifest, manifest, branch: want.name ?? '' }
    this.source.setTarget(manifest)
    const record = await this.#kernel.reloadFleet(this.source.paths())
    if (record.status === 'applied' || record.status === 'unchanged') {
      this.#serve(pointer)
      this.#kernel.emit({ type: 'fleet:caught-up', paths: [], fleetVersion: pointer.version, branch: pointer.branch })
      return
    }
    this.source.setTarget(this.#serving.manifest)
    this.#diverge(want.version, record.problems, record.error)
  }

  #serve(pointer: Serving): void {
    this.#serving = pointer
    this.#state = 'ok'
    this.#problem = undefined
    this.#divergedAt = -1
    void this.#beatNow()
  }

  #diverge(wanted: number, problems: readonly Problem[], error?: ErrorInfo): void {
    this.#state = 'diverged'
    this.#divergedAt = wanted
    const first = problems[0]
    this.#problem = first ? `${first.path ?? ''}${first.line ? `:${first.line}:${first.column ?? 1}` : ''} ${first.message}`.trim() : (error?.message ?? 'unknown')
    this.#kernel.emit({ type: 'fleet:diverged', paths: [], fleetVersion: this.#serving.version, wanted, problems, ...(error ? { error } : {}) })
    void this.#beatNow()
  }

  /** Publishes the new state at once instead of at the next heartbeat. */
  async #beatNow(): Promise<void> {
    if (this.#closed || this.#beat === undefined) return
    try {
      await this.#store.heartbeat(this.#options.id, this.#options.leaseMs, this.#info())
    } catch (error) {
      this.#report(error)
    }
  }

  #enqueue(job: () => Promise<void>): void {
    this.#work = this.#work.then(job).catch((error: unknown) => {
      if (!this.#closed) this.#report(error)
    })
  }

  #report(error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error))
    if (!this.source.reportError(e)) this.#kernel.emit({ type: 'fleet:error', paths: [], error: toErrorInfo(e, { plugin: 'fleet' }) })
  }

  /** Leaves the fleet (the lease ends now) and stops following. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#beat)
    await this.#follower?.close()
    try {
      if (this.#beat !== undefined) await this.#store.leave(this.#options.id)
    } catch (error) {
      this.#kernel.log.warn(`fleet: could not leave the fleet (the lease expires by itself): ${error instanceof Error ? error.message : String(error)}`)
    }
  }

}

/** The pointer a member with `labels` follows: the newest branch targeting it, else the main line. */
export function desired(snapshot: Snapshot, labels: Labels): Pointer | undefined {
  const matching = snapshot.branches.filter((b) => Object.entries(b.target ?? {}).every(([k, v]) => labels[k] === v))
  matching.sort((a, b) => b.version - a.version)
  return matching[0] ?? snapshot.current
}

/** One line that says why a proposal was aborted, naming members and their first problem. */
export function describeAbort(abort: AbortDetails): string {
  if (abort.code === 'HR_FLEET_VOTE_TIMEOUT') return `no vote by the deadline from ${abort.silent.join(', ')}`
  return abort.nacks
    .map((n) => {
      const p = n.problems[0]
      const where = p?.path ? `${p.path}${p.line ? `:${p.line}:${p.column ?? 1}` : ''}: ` : ''
      return `member ${n.member} rejected it: ${p ? `${where}${p.message}` : (n.reason ?? 'no reason given')}`
    })
    .join('; ')
}

async function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(error()), ms)))])
  } finally {
    clearTimeout(timer)
  }
}
