import type { Problem } from '@hotreload/core'

/** Labels of a member (`{ canary: 'true', zone: 'a' }`); a proposal's target selects by them. */
export type Labels = Readonly<Record<string, string>>

/** One file of a version: the sha256 of its bytes (the blob's name) and its size. */
export interface ManifestEntry {
  readonly hash: string
  readonly size: number
}

/** Every file of one version, by root-relative path. Stored as a blob itself, named by its hash. */
export interface Manifest {
  readonly files: Readonly<Record<string, ManifestEntry>>
}

/**
 * What a line of the fleet points at: the main line (`current`) or a gray branch. `excluded`
 * names the participants whose lease expired before they voted.
 */
export interface Pointer {
  readonly version: number
  /** sha256 of the manifest blob. */
  readonly manifest: string
  readonly proposal: string
  /** Redis time (ms) of the commit. */
  readonly committedAt: number
  readonly excluded: readonly string[]
  /** Branches only: the branch name and the labels it targets. */
  readonly name?: string
  readonly target?: Labels
}

/** A member's vote as stored: ACK, or NACK with the problems its own plugins found. */
export interface Vote {
  readonly ack: boolean
  readonly problems: readonly Problem[]
  readonly reason?: string
  readonly at: number
}

/** Why a proposal was aborted. */
export interface AbortDetails {
  readonly code: 'HR_FLEET_NACK' | 'HR_FLEET_VOTE_TIMEOUT'
  /** Members that NACKed, with their problems. */
  readonly nacks: readonly { readonly member: string; readonly problems: readonly Problem[]; readonly reason?: string }[]
  /** Live participants that had not voted at the deadline. */
  readonly silent: readonly string[]
}

/** The state of a proposal as `settle()` reports it. */
export type Decision =
  | { readonly state: 'open'; readonly id: string; readonly pending: readonly string[] }
  | { readonly state: 'committed'; readonly id: string; readonly version: number; readonly excluded: readonly string[] }
  | { readonly state: 'aborted'; readonly id: string; readonly version: number; readonly abort: AbortDetails }
  | { readonly state: 'unknown' }

/** What a member publishes about itself with every heartbeat. */
export interface MemberInfo {
  readonly labels: Labels
  /** The fleet version it serves, 0 before its first load. */
  readonly version: number
  readonly manifest: string
  /** `diverged`: it could not load the version its line points at and keeps an older one. */
  readonly state: 'ok' | 'diverged'
  readonly branch?: string
  readonly runId?: string
  readonly pid?: number
  readonly problem?: string
}

/** A member as the snapshot lists it, with its lease expiry (ms, Redis time). */
export interface MemberEntry {
  readonly id: string
  readonly expires: number
  readonly live: boolean
  readonly info?: MemberInfo
}

/** One consistent read of the fleet's shared state. */
export interface Snapshot {
  readonly epoch: string
  /** Redis time (ms) of the read. */
  readonly now: number
  /** Sequence number of the last event, and its stream id: a reader resumes after them. */
  readonly evseq: number
  readonly lastId: string
  /** Last version number handed out. */
  readonly seq: number
  readonly current?: Pointer
  readonly branches: readonly Pointer[]
  /** Id of the open proposal, '' when none. */
  readonly open: string
  readonly members: readonly MemberEntry[]
}

/** A proposal with its participants and votes, as `fleet status` shows it. */
export interface ProposalState {
  readonly id: string
  readonly status: 'open' | 'committed' | 'aborted'
  readonly version: number
  readonly base: number
  readonly manifest: string
  readonly target: Labels
  readonly branch: string
  readonly promotes: string
  readonly proposer: string
  readonly deadline: number
  readonly createdAt: number
  readonly participants: readonly string[]
  readonly votes: Readonly<Record<string, Vote>>
  readonly excluded?: readonly string[]
  readonly abort?: AbortDetails
}

/** An entry of the fleet's event stream. `n` increases by one per event; a gap means entries were trimmed. */
export type StreamEvent = { readonly n: number; readonly epoch: string; readonly streamId: string } & (
  | { readonly kind: 'join'; readonly member: string; readonly info?: MemberInfo }
  | { readonly kind: 'leave'; readonly member: string; readonly why: string }
  | {
      readonly kind: 'propose'
      readonly id: string
      readonly version: number
      readonly base: number
      readonly manifest: string
      readonly target: Labels
      readonly branch: string
      readonly promotes: string
      readonly deadline: number
      readonly participants: readonly string[]
      readonly proposer: string
    }
  | { readonly kind: 'vote'; readonly id: string; readonly member: string; readonly ack: boolean; readonly problems: readonly Problem[]; readonly reason?: string }
  | { readonly kind: 'late-vote'; readonly id: string; readonly member: string; readonly ack: boolean }
  | {
      readonly kind: 'commit'
      readonly id: string
      readonly version: number
      readonly manifest: string
      readonly branch: string
      readonly promotes: string
      readonly excluded: readonly string[]
      readonly participants: readonly string[]
    }
  | { readonly kind: 'abort'; readonly id: string; readonly version: number; readonly branch: string; readonly abort: AbortDetails }
  | { readonly kind: 'branch-end'; readonly branch: string; readonly version: number }
)
