import type { FileChange } from './changes.js'
import { Type } from '@sinclair/typebox'
import { PluginError, toProblem } from './errors.js'
import { checkOptions } from './option-check.js'
import { createStagingKey, type Transaction } from './hooks.js'
import type { Kernel, Plugin } from './plugin.js'

const Callback = Type.Optional(Type.Unknown())
// A misspelled callback (`comit`, `handlechange`) would otherwise never run, silently.
const HandlerSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    files: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })]),
    canHandle: Callback,
    validate: Callback,
    handleChange: Callback,
    commit: Callback,
  },
  { additionalProperties: false },
)

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
   * reject the transaction. May return staged data, handed to `handleChange` and `commit` as `ctx.staged`.
   * Must not write anything: `hotreload check` and dry runs stop after it.
   */
  validate?(change: FileChange, ctx: HandlerContext): TStaged | Promise<TStaged>
  /**
   * Runs in the apply stage, for side effects that can be undone (tell a child process, write a
   * file): may return an undo function, called if a later step of the same transaction fails.
   * What the app reads should change in `commit` instead, so nobody sees a change that rolls back.
   */
  handleChange?(change: FileChange, ctx: HandlerContext): void | (() => void | Promise<void>) | Promise<void | (() => void | Promise<void>)>
  /**
   * Runs once every plugin's apply succeeded: make the change visible to the app (swap the
   * staged value in). It cannot fail the transaction; a throw is reported as an `error` event.
   */
  commit?(change: FileChange, ctx: HandlerContext): void | Promise<void>
}

/**
 * Turns a ReloadHandler into a plugin: it watches and claims `files` (`kernel.claimFiles`), runs
 * `validate` for each claimed change in validate, and `handleChange` for each in apply,
 * registering any returned undo for rollback.
 */
export function defineReloadHandler<TStaged = unknown>(handler: ReloadHandler<TStaged>): Plugin {
  checkOptions(HandlerSchema, handler, { source: `defineReloadHandler(${JSON.stringify((handler as { name?: unknown } | null)?.name ?? '')})` })
  if (typeof handler?.handleChange !== 'function' && typeof handler?.commit !== 'function') {
    throw new PluginError(`defineReloadHandler(${JSON.stringify(handler?.name ?? '')}) needs handleChange() or commit()`, {
      hint: 'Add commit(change, ctx) to make the staged value visible, or handleChange(change, ctx) for an undoable side effect.',
    })
  }
  const key = createStagingKey<Map<string, unknown>>(handler.name)

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
      kernel.claimFiles(handler.name, handler.files, handler.canHandle ? (change) => handler.canHandle?.(change) ?? true : undefined)
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
        tx.stage(key, staged)
      })
      const { handleChange, commit } = handler
      if (handleChange) {
        kernel.hooks.apply.tapPromise(handler.name, async (tx) => {
          const staged = tx.staged(key)
          for (const change of tx.claimed(handler.name)) {
            if (tx.signal.aborted) return
            const undo = await handleChange(change, contextFor(tx, change, staged?.get(change.path)))
            if (typeof undo === 'function') tx.onRollback(handler.name, undo)
          }
        })
      }
      if (commit) {
        kernel.hooks.commit.tapPromise(handler.name, async (tx) => {
          const staged = tx.staged(key)
          for (const change of tx.claimed(handler.name)) await commit(change, contextFor(tx, change, staged?.get(change.path)))
        })
      }
    },
  }
}
