import { checkOptions } from '@hotreload/core'
import { Type } from '@sinclair/typebox'
import type { BackupOptions, RetentionPolicy } from './types.js'

export interface ResolvedBackupOptions extends RetentionPolicy {
  readonly name: string
  readonly outDir: string
  readonly onError: 'block' | 'warn'
}

const Count = (minimum: number) => Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER })

const OptionsSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    outDir: Type.Optional(Type.String({ minLength: 1 })),
    onError: Type.Optional(Type.Union([Type.Literal('block'), Type.Literal('warn')])),
    keepVersions: Type.Optional(Count(1)),
    maxAgeMs: Type.Optional(Count(0)),
    maxTotalBytes: Type.Optional(Count(0)),
  },
  { additionalProperties: false },
)

const DURATIONS = 'Durations are milliseconds, e.g. maxAgeMs: 7 * 24 * 3600 * 1000.'

/**
 * Checks the options and fills in defaults. Throws the core's `OptionsError` naming every
 * unknown option (with a did-you-mean) and every wrong type at once. Never mutates `options`.
 */
export function resolveBackupOptions(options: BackupOptions): ResolvedBackupOptions {
  const renamed = typeof options === 'object' && options !== null && 'dir' in options
  const checked = checkOptions(OptionsSchema, options, {
    source: 'backupPlugin()',
    plugin: typeof options?.name === 'string' && options.name ? options.name : 'backup',
    // `dir` names an input folder in every plugin; the backup folder is an output, `outDir`.
    hint: renamed ? `The backup folder option "dir" is now "outDir". ${DURATIONS}` : DURATIONS,
  })
  const { keepVersions, maxAgeMs, maxTotalBytes } = checked
  return Object.freeze({
    name: checked.name ?? 'backup',
    outDir: checked.outDir ?? '.hotreload/backups',
    onError: checked.onError ?? 'block',
    ...(keepVersions === undefined ? {} : { keepVersions }),
    ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
    ...(maxTotalBytes === undefined ? {} : { maxTotalBytes }),
  })
}

/** Checks one count given on the command line (`prune --keep-versions N`); pushes a message when it is not one. */
export function checkCount(key: string, value: unknown, min: number, mistakes: string[]): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    mistakes.push(`"${key}" must be an integer >= ${min}, got ${JSON.stringify(value)}`)
  }
}
