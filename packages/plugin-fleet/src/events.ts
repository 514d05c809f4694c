import type { ErrorInfo, EventBase, Problem } from '@hotreload/core'

/** Proposer: a proposal was opened; `participants` are the members that must vote. */
export interface FleetProposedEvent extends EventBase {
  readonly type: 'fleet:proposed'
  readonly proposal: string
  readonly fleetVersion: number
  readonly participants: readonly string[]
  readonly branch: string
}

/** Member: this member voted on a proposal (ACK, or NACK with its problems). */
export interface FleetVotedEvent extends EventBase {
  readonly type: 'fleet:voted'
  readonly proposal: string
  readonly fleetVersion: number
  readonly ack: boolean
  readonly problems: readonly Problem[]
  /** The store refused the vote: `late`, `expired`, `already`, `not-participant`. */
  readonly refused?: string
}

/** A proposal committed on the fleet; `excluded` names the members whose lease expired before they voted. */
export interface FleetCommittedEvent extends EventBase {
  readonly type: 'fleet:committed'
  readonly proposal: string
  readonly fleetVersion: number
  readonly branch: string
  readonly excluded: readonly string[]
  readonly participants: readonly string[]
}

/**
 * Member: it could not load the version its line points at (validation failed, or its apply
 * failed after the fleet committed) and keeps serving `fleetVersion`.
 */
export interface FleetDivergedEvent extends EventBase {
  readonly type: 'fleet:diverged'
  readonly fleetVersion: number
  readonly wanted: number
  readonly problems: readonly Problem[]
  readonly error?: ErrorInfo
}

/** The member caught up with a version it did not vote on (late join, missed commit, branch end). */
export interface FleetCaughtUpEvent extends EventBase {
  readonly type: 'fleet:caught-up'
  readonly fleetVersion: number
  readonly branch: string
}

/** Redis failed (outage, refused command); the plugin keeps retrying. */
export interface FleetErrorEvent extends EventBase {
  readonly type: 'fleet:error'
  readonly error: ErrorInfo
}

declare module '@hotreload/core' {
  interface PluginEventMap {
    'fleet:proposed': FleetProposedEvent
    'fleet:voted': FleetVotedEvent
    'fleet:committed': FleetCommittedEvent
    'fleet:diverged': FleetDivergedEvent
    'fleet:caught-up': FleetCaughtUpEvent
    'fleet:error': FleetErrorEvent
  }
}
