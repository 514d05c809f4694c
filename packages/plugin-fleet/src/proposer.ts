import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Decisions } from './decisions.js'
import { FleetProposalError } from './errors.js'
import type { Follower } from './follow.js'
import { isFleetTx, type FleetKernel, type Tx } from './kernel-adapter.js'
import { describeAbort } from './member.js'
import type { ResolvedFleetOptions } from './options.js'
import { encodeManifest, sha256, type FleetStore } from './store.js'
import type { AbortDetails, Labels, ManifestEntry, Pointer } from './types.js'

/** How a publication ended. */
export type PublishOutcome =
  | { readonly state: 'unchanged'; readonly version: number }
  | { readonly state: 'committed'; readonly proposal: string; readonly version: number; readonly participants: readonly string[]; readonly excluded: readonly string[] }
  | { readonly state: 'aborted'; readonly proposal: string; readonly version: number; readonly participants: readonly string[]; readonly abort: AbortDetails }

export interface PublishInput {
  /** Every file of the version (path -> hash and size). */
  readonly files: ReadonlyMap<string, ManifestEntry>
  /** Bytes to upload, by hash (at least every blob Redis may not hold yet). */
  readonly blobs: ReadonlyMap<string, Buffer>
  /** The version this builds on; undefined: whatever the line holds now. */
  readonly base?: number
  readonly target?: Labels
  readonly branch?: string
  readonly promotes?: string
  /**
   * Reads a file of `files` again when Redis lost its blob (a restart without persistence):
   * resolves with its bytes, which must still hash as listed.
   */
  reread?(path: string): Promise<Buffer>
  /** Called once the proposal is open, before the votes are in. */
  onProposed?(proposal: { id: string; version: number; participants: readonly string[] }): void
  readonly signal?: AbortSignal
}

/**
 * Publishes versions: uploads blobs and the manifest, opens the proposal, and waits for the
 * fleet's decision. In a watching proposer its prepare tap does this for every validated change,
 * so the change applies locally only if the fleet committed it.
 */
export class Proposer {
  readonly #kernel: FleetKernel
  readonly #store: FleetStore
  readonly #options: ResolvedFleetOptions
  readonly #decisions: Decisions
  /** The files of this proposer's last committed version (what its local baseline holds). */
  #local = new Map<string, ManifestEntry>()
  /** The fleet version this proposer builds on; undefined until it read the fleet. */
  #base: number | undefined
  #follower: Follower | undefined
  /** Dry run (`fleet publish`): the bytes of every validated file, to publish as they were checked. */
  readonly captured = new Map<string, Buffer>()

  constructor(kernel: FleetKernel, store: FleetStore, options: ResolvedFleetOptions) {
    this.#kernel = kernel
    this.#store = store
    this.#options = options
    this.#decisions = new Decisions(store, Math.min(options.heartbeatMs, 100))
  }

  /** Validate tap of a dry run: keeps the bytes that were validated, for `fleet publish`. */
  async capture(tx: Tx): Promise<void> {
    if (!tx.dryRun) return
    for (const change of tx.changes) {
      if (change.kind === 'deleted') this.captured.delete(change.path)
      else this.captured.set(change.path, await tx.read(change))
      if (change.kind === 'renamed' && change.from !== undefined) this.captured.delete(change.from)
    }
  }

  /** Prepare tap: publishes the transaction's version and aborts it unless the fleet commits. */
  async prepare(tx: Tx): Promise<void> {
    if (tx.dryRun || isFleetTx(tx)) return
    const next = tx.reason === 'initial' ? new Map<string, ManifestEntry>() : new Map(this.#local)
    const blobs = new Map<string, Buffer>()
    for (const change of tx.changes) {
      if (change.from !== undefined) next.delete(change.from)
      if (change.kind === 'deleted') {
        next.delete(change.path)
        continue
      }
      const bytes = await tx.read(change)
      const hash = sha256(bytes)
      next.set(change.path, { hash, size: bytes.length })
      blobs.set(hash, bytes)
    }
    let outcome: PublishOutcome
    try {
      outcome = await this.publish({
        files: next,
        blobs,
        ...(this.#base === undefined || tx.reason === 'initial' ? {} : { base: this.#base }),
        signal: tx.signal,
        reread: (path) => readFile(join(this.#kernel.root, path)),
        onProposed: (p) =>
          this.#kernel.emit({ type: 'fleet:proposed', paths: [], proposal: p.id, fleetVersion: p.version, participants: p.participants, branch: this.#options.branch }),
      })
    } catch (error) {
      if (error instanceof FleetProposalError) {
        tx.abort({ code: `HR_FLEET_${error.result.toUpperCase().replace(/-/g, '_')}`, message: error.message, plugin: 'fleet', details: { result: error.result } })
        return
      }
      throw error
    }
    if (outcome.state === 'aborted') {
      tx.abort({ code: outcome.abort.code, message: `the fleet aborted version ${outcome.version}: ${describeAbort(outcome.abort)}`, plugin: 'fleet', details: outcome.abort })
      return
    }
    this.#local = next
    if (outcome.state === 'committed') {
      tx.emit({ type: 'fleet:committed', paths: [], proposal: outcome.proposal, fleetVersion: outcome.version, branch: this.#options.branch, excluded: outcome.excluded, participants: outcome.participants })
    }
  }

  /**
   * Publishes one version and resolves with the fleet's decision. Throws `FleetProposalError`
   * when the proposal is refused (`busy`, `stale`, `missing`, `unknown-branch`).
   */
  async publish(input: PublishInput): Promise<PublishOutcome> {
    this.#ensureFollower()
    const target = input.target ?? this.#options.target
    const branch = input.branch ?? (Object.keys(target).length > 0 ? this.#options.branch || branchName(target) : '')
    const files = Object.fromEntries(input.files)
    const manifestBytes = encodeManifest({ files })
    const manifest = sha256(manifestBytes)
    const snapshot = await this.#store.snapshot()
    const line: Pointer | undefined = branch ? snapshot.branches.find((b) => b.name === branch) ?? snapshot.current : snapshot.current
    if (input.promotes === undefined && line?.manifest === manifest) {
      this.#base = line.version
      return { state: 'unchanged', version: line.version }
    }
    await this.#store.putBlobs([...input.blobs.values(), manifestBytes])
    const base = input.base ?? (branch ? (snapshot.branches.find((b) => b.name === branch)?.version ?? snapshot.current?.version ?? 0) : (snapshot.current?.version ?? 0))
    let reply = await this.#propose(manifest, input, target, branch, base)
    if (reply.result === 'busy') {
      // The open proposal may be past its deadline with nobody left to settle it.
      this.#decisions.seen(await this.#store.settle(reply.open))
      reply = await this.#propose(manifest, input, target, branch, base)
    }
    if (reply.result === 'missing' && input.reread) {
      // Redis lost blobs it held (no persistence, or flushed): upload every file again, once.
      await this.#store.putBlobs(await Promise.all([...input.files].map(([path, entry]) => this.#reread(input, path, entry.hash))))
      reply = await this.#propose(manifest, input, target, branch, base)
    }
    if (reply.result === 'stale') {
      this.#base = reply.current
      throw new FleetProposalError('stale', `the fleet is at version ${reply.current}, not at the base ${base} this change was made on`, {
        hint: 'Another proposal committed first; the next change (or hotreload fleet publish) builds on the new version.',
      })
    }
    if (reply.result === 'busy') {
      throw new FleetProposalError('busy', `another proposal (${reply.open}) is open; only one may be open at a time`, { hint: 'Try again once it is decided (hotreload fleet status shows it).' })
    }
    if (reply.result === 'missing') {
      throw new FleetProposalError('missing', `blob ${reply.hash.slice(0, 12)}${reply.path ? ` (${reply.path})` : ''} is not in Redis`, {
        ...(reply.path ? { path: reply.path } : {}),
        hint: 'Redis may have lost data: publish every file again (hotreload fleet publish).',
      })
    }
    if (reply.result === 'unknown-branch') throw new FleetProposalError('unknown-branch', `there is no branch "${reply.branch}" to promote`, { hint: 'hotreload fleet status lists the branches.' })
    input.onProposed?.({ id: reply.id, version: reply.version, participants: reply.participants })
    const decision = reply.decision.state === 'open' || reply.decision.state === 'unknown' ? await this.#decisions.wait(reply.id, input.signal) : reply.decision
    if (decision.state === 'committed') this.#base = decision.version
    return decision.state === 'committed'
      ? { state: 'committed', proposal: reply.id, version: decision.version, participants: reply.participants, excluded: decision.excluded }
      : { state: 'aborted', proposal: reply.id, version: decision.version, participants: reply.participants, abort: decision.abort }
  }

  async #reread(input: PublishInput, path: string, hash: string): Promise<Buffer> {
    const known = input.blobs.get(hash)
    if (known) return known
    const bytes = await (input.reread as (path: string) => Promise<Buffer>)(path)
    if (sha256(bytes) !== hash) {
      throw new FleetProposalError('missing', `${path} changed on disk since it was validated, and Redis lost the version that was`, {
        path,
        hint: 'Nothing to do: the next transaction publishes the file as it is now.',
      })
    }
    return bytes
  }

  #propose(manifest: string, input: PublishInput, target: Labels, branch: string, base: number) {
    return this.#store.propose({
      manifest,
      blobs: [...input.files.values()].map((f) => f.hash),
      base,
      target,
      branch,
      ...(input.promotes ? { promotes: input.promotes } : {}),
      voteMs: this.#options.voteTimeoutMs,
      proposer: `${this.#options.id}/${this.#kernel.runId}`,
      floor: this.#base ?? 0,
    })
  }

  /** Promotes a gray branch to every member (a proposal of its content to the main line). */
  async promote(name: string, onProposed?: PublishInput['onProposed']): Promise<PublishOutcome> {
    const snapshot = await this.#store.snapshot()
    const branch = snapshot.branches.find((b) => b.name === name)
    if (!branch) throw new FleetProposalError('unknown-branch', `there is no branch "${name}" to promote`, { hint: 'hotreload fleet status lists the branches.' })
    const manifest = await this.#store.getManifest(branch.manifest)
    return this.publish({
      files: new Map(Object.entries(manifest.files)),
      blobs: new Map(),
      base: snapshot.current?.version ?? 0,
      target: {},
      branch: '',
      promotes: name,
      ...(onProposed ? { onProposed } : {}),
    })
  }

  #ensureFollower(): void {
    if (this.#follower) return
    this.#follower = this.#store.follow({
      onEvent: (event) => {
        if (event.kind === 'commit') this.#decisions.seen({ state: 'committed', id: event.id, version: event.version, excluded: event.excluded })
        if (event.kind === 'abort') this.#decisions.seen({ state: 'aborted', id: event.id, version: event.version, abort: event.abort })
      },
      onSnapshot: () => {},
      onError: (error) => this.#kernel.log.warn(`fleet: reading the event stream failed: ${error.message}`),
    })
    this.#follower.started.catch((error: unknown) => this.#kernel.log.warn(`fleet: could not follow the event stream: ${error instanceof Error ? error.message : String(error)}`))
  }
}

function branchName(target: Labels): string {
  return Object.entries(target)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
}
