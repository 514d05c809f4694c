import type { ChangeKind, EventBase } from '@hotreload/core'

/** One changed file of a `template:updated` event and what it caused. */
export interface TemplateUpdateCause {
  /** Root-relative path of the file that changed. */
  readonly path: string
  readonly kind: ChangeKind
  /** The template the file defines. */
  readonly name: string
  /** Templates recompiled because they use it (transitively), sorted; the template itself is not listed. */
  readonly dependents: readonly string[]
}

/** Emitted once per committed transaction that changed the compiled set of a templates plugin. */
export interface TemplateUpdatedEvent extends EventBase {
  readonly type: 'template:updated'
  /** The plugin instance's name (`templates` unless renamed). */
  readonly plugin: string
  readonly engine: string
  /** Every template recompiled and now serving: the changed ones and their dependents, sorted. */
  readonly names: readonly string[]
  /** Templates taken out of service because their file was deleted (or renamed away), sorted. */
  readonly removed: readonly string[]
  /** Each changed file, the template it defines and the dependents it recompiled. */
  readonly causes: readonly TemplateUpdateCause[]
}

declare module '@hotreload/core' {
  interface PluginEventMap {
    'template:updated': TemplateUpdatedEvent
  }
}
