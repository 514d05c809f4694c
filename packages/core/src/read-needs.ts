import { globTest } from './glob-test.js'
import type { ReadNeeds } from './read-probe.js'

// As in claim-files.ts: enough for every path of a large tree, then the cache starts again.
const MAX_CACHED_ANSWERS = 50_000

interface Claim {
  readonly test: (path: string) => boolean
  readonly maxBytes: number
  /** `fingerprint: 'stat'`: the plugin reads the files itself; the core only stats them. */
  readonly statOnly: boolean
}

/**
 * Which files some plugin reads, from the globs plugins claim (`kernel.claimFiles`), and the
 * size limits they declared for them. The local-files source reads and hashes only those files
 * at once, and never reads a file over its limit. Answers are cached per path until a claim is
 * added or removed.
 */
export class ReadNeedsRegistry {
  #claims: readonly Claim[] = []
  readonly #answers = new Map<string, ReadNeeds>()

  /**
   * Declares that `globs` are read, up to `maxBytes` each, by the core (`statOnly` false) or by
   * the claiming plugin itself (`statOnly` true: the core only stats them). Returns the removal.
   */
  add(globs: readonly string[], maxBytes = Infinity, statOnly = false): () => void {
    const claim: Claim = { test: globTest(globs), maxBytes, statOnly }
    // An array, replaced on change: every path of a load walks it, and a Set's iterator costs.
    this.#claims = [...this.#claims, claim]
    this.#answers.clear()
    return () => {
      if (!this.#claims.includes(claim)) return
      this.#claims = this.#claims.filter((c) => c !== claim)
      this.#answers.clear()
    }
  }

  /**
   * What the source needs of `rel`: read when any claim that the core reads for matches, within
   * the smallest limit among them; stat only when every matching claim is `statOnly`.
   */
  needs(rel: string): ReadNeeds {
    let answer = this.#answers.get(rel)
    if (answer !== undefined) return answer
    let bytes = false
    let statOnly = false
    let maxBytes = Infinity
    for (const claim of this.#claims) {
      if (!claim.test(rel)) continue
      if (claim.statOnly) statOnly = true
      else bytes = true
      maxBytes = Math.min(maxBytes, claim.maxBytes)
    }
    if (this.#answers.size >= MAX_CACHED_ANSWERS) this.#answers.clear()
    answer = shared(bytes, maxBytes, statOnly && !bytes)
    this.#answers.set(rel, answer)
    return answer
  }
}

// Most paths get one of a few answers (nothing claimed, or claimed without a limit): those are
// shared objects rather than one per path of a large tree.
const NOT_READ: ReadNeeds = Object.freeze({ bytes: false, maxBytes: Infinity })
const READ: ReadNeeds = Object.freeze({ bytes: true, maxBytes: Infinity })
const STAT_ONLY: ReadNeeds = Object.freeze({ bytes: false, maxBytes: Infinity, statOnly: true })

function shared(bytes: boolean, maxBytes: number, statOnly: boolean): ReadNeeds {
  if (maxBytes === Infinity) return statOnly ? STAT_ONLY : bytes ? READ : NOT_READ
  return Object.freeze(statOnly ? { bytes, maxBytes, statOnly } : { bytes, maxBytes })
}
