import { HotReloadError, type HotReloadErrorOptions } from '@hotreload/core'

/** Base of every error the fleet plugin raises; every code starts with `HR_FLEET_`. */
export class FleetError extends HotReloadError {
  constructor(code: `HR_FLEET_${string}`, message: string, options: HotReloadErrorOptions = {}) {
    super(code, message, { plugin: 'fleet', ...options })
  }
}

/** Redis could not be reached or a command failed; the clients keep reconnecting on their own. */
export class FleetRedisError extends FleetError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super('HR_FLEET_REDIS', message, {
      hint: 'Check that redis-server runs where the "redis" option points (started with --appendonly yes); the fleet reconnects by itself once it is back.',
      ...options,
    })
  }
}

/** A blob named by a manifest is not in Redis, or its bytes do not hash to its name. */
export class FleetBlobError extends FleetError {
  constructor(kind: 'missing' | 'corrupt', hash: string, options: HotReloadErrorOptions = {}) {
    super(
      kind === 'missing' ? 'HR_FLEET_BLOB_MISSING' : 'HR_FLEET_BLOB_CORRUPT',
      kind === 'missing'
        ? `blob ${hash.slice(0, 12)} is missing from Redis`
        : `blob ${hash.slice(0, 12)} is corrupt: its bytes do not hash to their sha256 name`,
      {
        hint:
          kind === 'missing'
            ? 'Publish the version again (hotreload fleet publish); Redis may have lost data (run it with appendonly yes).'
            : 'Something other than hotreload wrote to the blob key; publish the version again.',
        ...options,
      },
    )
  }
}

/** A proposal was refused: another is open (`busy`), the base is `stale`, or a blob is `missing`. */
export class FleetProposalError extends FleetError {
  readonly result: string
  constructor(result: string, message: string, options: HotReloadErrorOptions = {}) {
    super('HR_FLEET_PROPOSAL', message, options)
    this.result = result
  }
}

/** The options passed to `fleet()` are invalid. */
export class FleetOptionsError extends FleetError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super('HR_FLEET_OPTIONS', message, options)
  }
}
