/** The options after defaults are applied, as `kernel.options` shows them. */
export interface ResolvedOptions {
  readonly root: string
  readonly include: readonly string[]
  readonly ignore: readonly string[]
  readonly debounceMs: number
  readonly maxWaitMs: number
  readonly stageTimeoutMs: number
  readonly prepareTimeoutMs: number
  readonly notifyTimeoutMs: number
  readonly historyLimit: number
  readonly dryRun: boolean
  readonly usePolling: boolean
  readonly watch: boolean
  /** The watcher backend's name. */
  readonly watcher: string
  /** Absolute directory of the framework's own state (last version, run id). */
  readonly stateDir: string
}
