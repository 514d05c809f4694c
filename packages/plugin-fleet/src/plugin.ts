import { toErrorInfo, type Kernel, type Plugin } from '@hotreload/core'
import { createFleetCommand } from './commands.js'
import { FleetError } from './errors.js'
import { adaptKernel } from './kernel-adapter.js'
import { Member, type MemberStatus } from './member.js'
import { resolveFleetOptions, type FleetOptions, type ResolvedFleetOptions } from './options.js'
import { Proposer, type PublishOutcome } from './proposer.js'
import { FleetStore, sha256 } from './store.js'
import type { ProposalState, Snapshot } from './types.js'

/** The fleet as `hotreload fleet status` shows it. */
export interface FleetStatus {
  readonly fleet: string
  readonly role: 'proposer' | 'member'
  readonly snapshot: Snapshot
  /** The open proposal with its participants and votes, if any. */
  readonly open?: ProposalState
  /** This instance, when it is a member. */
  readonly member?: MemberStatus
}

/** The plugin `fleet()` returns: a hotreload plugin plus the fleet's own operations. */
export interface FleetPlugin extends Plugin {
  readonly name: 'fleet'
  /** The shared state read now (and this member's own view). Rejects before the plugin started. */
  status(): Promise<FleetStatus>
  /**
   * Proposer, after a dry-run start (the `fleet publish` command): publishes the validated files
   * and resolves with the fleet's decision.
   */
  publishValidated(onProposed?: (p: { id: string; version: number; participants: readonly string[] }) => void): Promise<PublishOutcome>
  /** Promotes the gray branch `name` to every member. */
  promote(name: string, onProposed?: (p: { id: string; version: number; participants: readonly string[] }) => void): Promise<PublishOutcome>
  /** Ends the gray branch `name`: its members go back to the main line. */
  endBranch(name: string): Promise<boolean>
  /** The proposal `id` with its votes. */
  proposal(id: string): Promise<ProposalState | undefined>
}

/**
 * Makes the fleet plugin: many instances commit the same version together, or none does, over
 * Redis. See the README for the protocol; `role` says whether this instance proposes or votes.
 */
export function fleetPlugin(options: FleetOptions): FleetPlugin {
  const resolved = resolveFleetOptions(options)
  let started: { store: FleetStore; member?: Member; proposer?: Proposer } | undefined
  const need = () => {
    if (!started) throw new FleetError('HR_FLEET_NOT_STARTED', 'the fleet plugin is not started', { hint: 'Pass it to createHotReload({ plugins: [...] }) and await that first.' })
    return started
  }
  const plugin: FleetPlugin = {
    name: 'fleet',
    apply(kernel: Kernel) {
      started = start(kernel, resolved)
    },
    async status() {
      const { store, member } = need()
      const snapshot = await store.snapshot()
      const open = snapshot.open ? await store.proposal(snapshot.open) : undefined
      return { fleet: resolved.fleet, role: resolved.role, snapshot, ...(open ? { open } : {}), ...(member ? { member: member.status() } : {}) }
    },
    async publishValidated(onProposed) {
      const { proposer } = need()
      if (!proposer) throw new FleetError('HR_FLEET_ROLE', 'publishing needs role: "proposer"', { hint: "Run hotreload fleet publish with a config whose fleet plugin has role: 'proposer'." })
      const files = new Map<string, { hash: string; size: number }>()
      const blobs = new Map<string, Buffer>()
      for (const [path, bytes] of proposer.captured) {
        const hash = sha256(bytes)
        files.set(path, { hash, size: bytes.length })
        blobs.set(hash, bytes)
      }
      return proposer.publish({ files, blobs, ...(onProposed ? { onProposed } : {}) })
    },
    async promote(name, onProposed) {
      const { proposer } = need()
      if (!proposer) throw new FleetError('HR_FLEET_ROLE', 'promoting needs role: "proposer"')
      return proposer.promote(name, onProposed)
    },
    async endBranch(name) {
      return (await need().store.endBranch(name)).result === 'ok'
    },
    proposal: (id) => need().store.proposal(id),
    command: createFleetCommand(() => plugin),
  }
  return plugin
}

function start(kernel: Kernel, options: ResolvedFleetOptions): { store: FleetStore; member?: Member; proposer?: Proposer } {
  const k = adaptKernel(kernel)
  let member: Member | undefined
  const store = new FleetStore({
    redis: options.redis,
    fleet: options.fleet,
    maxEvents: options.maxEvents,
    onError: (error) => {
      kernel.log.error(`fleet: ${error.message}`)
      if (!member?.source.reportError(error)) k.emit({ type: 'fleet:error', paths: [], error: toErrorInfo(error, { plugin: 'fleet' }) })
    },
  })
  if (options.voteTimeoutMs >= k.prepareTimeoutMs) {
    kernel.log.warn(`fleet: voteTimeoutMs (${options.voteTimeoutMs}) is not below prepareTimeoutMs (${k.prepareTimeoutMs}): the kernel may abort before the fleet decides`)
  }
  k.onClose(() => store.close())
  if (options.role === 'member') {
    member = new Member(k, store, options)
    const m = member
    k.useChangeSource(m.source)
    k.onPrepare((tx) => m.prepare(tx))
    // At ready the initial load is over: what it loaded is what this member serves. A dry-run
    // instance (hotreload fleet status) reads the fleet but never joins it.
    k.onReady(() => {
      m.afterInitial(k.lastRecord())
      if (!k.dryRun) m.start()
    })
    k.onClose(() => m.close())
    return { store, member }
  }
  const proposer = new Proposer(k, store, options)
  k.onValidate((tx) => proposer.capture(tx))
  k.onPrepare((tx) => proposer.prepare(tx))
  return { store, proposer }
}
