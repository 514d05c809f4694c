import picomatch from 'picomatch'
import { toProblem } from './errors.js'
import type { FileChange, Kernel, Plugin, Transaction } from './types.js'

/** What a ReloadHandler's callbacks receive besides the change. */
export interface HandlerContext {
  readonly tx: Transaction
  /** The file's bytes as fingerprinted (rejects for a deleted file). */
  read(): Promise<Buffer>
  /** The file's text, UTF-8. */
  readText(): Promise<string>
  /** Reports a problem for this file; the transaction is rejected. */
  problem(message: string, details?: { line?: number; column?: number; hint?: string; code?: string }): void
  /** Whatever this handler's `validate` returned for this change, if anything. */
  readonly staged: unknown
}

/** A user's handler for files the built-in plugins do not cover. */
export interface ReloadHandler<TStaged = unknown> {
  /** Unique name; shown in events, history and errors. */
  readonly name: string
  /** picomatch globs, relative to the root, of the files this handler owns. Added to the watched set. */
  readonly files: string | readonly string[]
  /** Finer filter after the globs matched; return false to leave the change alone. */
  canHandle?(change: FileChange): boolean
  /**
   * Runs in the validate stage, before anything changes: throw or call `ctx.problem()` to
   * reject the transaction. May return staged data, handed to `handleChange` as `ctx.staged`.
   */
  validate?(change: FileChange, ctx: HandlerContext): TStaged | Promise<TStaged>
  /**
   * Runs in the apply stage: make the change take effect. May return an undo function, called
   * if a later step of the same transaction fails.
   */
  handleChange(change: FileChange, ctx: HandlerContext): void | (() => void | Promise<void>) | Promise<void | (() => void | Promise<void>)>
}

/**
 * Turns a ReloadHandler into a plugin: it watches `files`, claims the matching changes in
 * detect, runs `validate` for each in validate, and `handleChange` for each in apply,
 * registering any returned undo for rollback.
 */
export function defineReloadHandler<TStaged = unknown>(handler: ReloadHandler<TStaged>): Plugin {
  const globs = typeof handler.files === 'string' ? [handler.files] : [...handler.files]
  const matches = picomatch(globs, { dot: false })
  const stagedKey = `handler:${handler.name}`

  const contextFor = (tx: Transaction, change: FileChange, staged: unknown): HandlerContext => ({
    tx,
    staged,
    read: () => tx.read(change),
    readText: async () => (await tx.read(change)).toString('utf8'),
    problem: (message, details = {}) =>
      tx.problem({ plugin: handler.name, code: details.code ?? 'HR_HANDLER_PROBLEM', message, path: change.path, ...details }),
  })

  return {
    name: handler.name,
    apply(kernel: Kernel) {
      kernel.include(globs)
      kernel.hooks.detect.tap(handler.name, (changes, tx) => {
        for (const change of changes) {
          const owned = matches(change.path) || (change.from !== undefined && matches(change.from))
          if (owned && (handler.canHandle?.(change) ?? true)) tx.claim(handler.name, change)
        }
        return changes
      })
      kernel.hooks.validate.tapPromise(handler.name, async (tx) => {
        const staged = new Map<string, unknown>()
        for (const change of tx.claimed(handler.name)) {
          if (!handler.validate) continue
          try {
            staged.set(change.path, await handler.validate(change, contextFor(tx, change, undefined)))
          } catch (error) {
            tx.problem(toProblem(error, handler.name, change.path))
          }
        }
        tx.staged.set(stagedKey, staged)
      })
      kernel.hooks.apply.tapPromise(handler.name, async (tx) => {
        const staged = (tx.staged.get(stagedKey) as Map<string, unknown> | undefined) ?? new Map()
        for (const change of tx.claimed(handler.name)) {
          const undo = await handler.handleChange(change, contextFor(tx, change, staged.get(change.path)))
          if (typeof undo === 'function') tx.onRollback(handler.name, undo)
        }
      })
    },
  }
}
