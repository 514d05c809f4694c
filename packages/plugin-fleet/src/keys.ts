// Key names of one fleet. All share the hash tag `{<fleet>}`, so Redis Cluster keeps them in one
// slot and a script may touch several of them; scripts receive every key in KEYS.

/** The keys of one fleet, built once from its name. */
export interface FleetKeys {
  readonly prefix: string
  /** Epoch, last version number handed out, event sequence. */
  readonly meta: string
  /** The committed pointer of the main line (JSON: version, manifest, proposal, excluded). */
  readonly current: string
  /** The id of the one open proposal. */
  readonly open: string
  /** Sorted set: member id -> lease expiry (ms, Redis time). */
  readonly members: string
  /** Hash: member id -> JSON info (labels, version, status). */
  readonly info: string
  /** The capped stream of fleet events. */
  readonly events: string
  /** Hash: branch name -> JSON pointer of a gray release. */
  readonly branches: string
  proposal(id: string): string
  participants(id: string): string
  votes(id: string): string
  blob(hash: string): string
}

/** Builds the keys of fleet `name` (letters, digits, `.`, `_`, `-`). */
export function fleetKeys(name: string): FleetKeys {
  const prefix = `hr:{${name}}:`
  return Object.freeze({
    prefix,
    meta: `${prefix}meta`,
    current: `${prefix}current`,
    open: `${prefix}open`,
    members: `${prefix}members`,
    info: `${prefix}info`,
    events: `${prefix}events`,
    branches: `${prefix}branches`,
    proposal: (id: string) => `${prefix}proposal:${id}`,
    participants: (id: string) => `${prefix}participants:${id}`,
    votes: (id: string) => `${prefix}votes:${id}`,
    blob: (hash: string) => `${prefix}blob:${hash}`,
  })
}

/** KEYS 1-7 every script starts with (the order the scripts' prelude reads them in). */
export function baseKeys(k: FleetKeys): string[] {
  return [k.meta, k.current, k.open, k.members, k.info, k.events, k.branches]
}

/** KEYS 1-10: the base keys and one proposal's keys. */
export function proposalKeys(k: FleetKeys, id: string): string[] {
  return [...baseKeys(k), k.proposal(id), k.participants(id), k.votes(id)]
}
