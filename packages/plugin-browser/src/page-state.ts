// The committed state a page needs to catch up after it was disconnected: current asset URLs,
// current (redacted) config values, and a digest of the template files. Built from the
// committed events only, so it never shows something that did not commit.
import { createHash } from 'node:crypto'
import type { HotReloadEvent } from '@hotreload/core'
import type { EndedTransaction } from './kernel-link.js'
import type { HelloMessage, ResultView } from './types.js'

export class PageState {
  readonly #assets = new Map<string, { plugin: string; logicalPath: string; url: string }>()
  readonly #configs = new Map<string, { plugin: string; name: string; value: unknown }>()
  /** Template file (root-relative) -> sha256 of the content that is serving. */
  readonly #templateFiles = new Map<string, string>()
  #templatesDigest = digest(new Map())
  last: ResultView | null = null

  /** Takes in one applied transaction's redacted events. */
  apply(ended: EndedTransaction, redacted: readonly HotReloadEvent[]): void {
    let templatesMoved = false
    for (const event of redacted) {
      if (event.type === 'asset:updated') {
        const key = `${event.plugin}\0${event.logicalPath}`
        if (event.from !== undefined) this.#assets.delete(`${event.plugin}\0${event.from}`)
        if (event.url === undefined) this.#assets.delete(key)
        else this.#assets.set(key, { plugin: event.plugin, logicalPath: event.logicalPath, url: event.url })
      } else if (event.type === 'config:changed') {
        const key = `${event.plugin}\0${event.name}`
        if (event.newValue === undefined) this.#configs.delete(key)
        else this.#configs.set(key, { plugin: event.plugin, name: event.name, value: event.newValue })
      } else if (event.type === 'template:updated') {
        for (const cause of event.causes) {
          const change = ended.changes.find((c) => c.path === cause.path)
          if (change?.from !== undefined) this.#templateFiles.delete(change.from)
          if (!change || change.kind === 'deleted' || !change.fingerprint) this.#templateFiles.delete(cause.path)
          else this.#templateFiles.set(cause.path, change.fingerprint.hash)
          templatesMoved = true
        }
      }
    }
    if (templatesMoved) this.#templatesDigest = digest(this.#templateFiles)
  }

  /** The `hello` message for a page connecting (or asking to re-sync) now. */
  hello(base: { runId: string; version: number }, settings: HelloMessage['settings']): HelloMessage {
    const byKey = <T>(map: Map<string, T>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v)
    return {
      type: 'hello',
      protocol: 'hotreload-v1',
      runId: base.runId,
      version: base.version,
      time: new Date().toISOString(),
      last: this.last,
      assets: byKey(this.#assets),
      configs: byKey(this.#configs),
      templates: this.#templatesDigest,
      settings,
    }
  }
}

// Same files with the same bytes give the same digest in every process: a restarted server
// with untouched templates does not make pages reload.
function digest(files: ReadonlyMap<string, string>): string {
  const hash = createHash('sha256')
  for (const [path, sha] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) hash.update(`${path}\0${sha}\n`)
  return hash.digest('hex').slice(0, 16)
}
