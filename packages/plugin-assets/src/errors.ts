import { HotReloadError, type HotReloadErrorOptions } from '@hotreload/core'

/**
 * Codes of every error and problem this plugin reports, all `HR_ASSETS_*`. Stable: programs
 * reading `--json` output and `rejected` events may switch on them.
 */
export const ASSETS_ERROR_CODES = Object.freeze({
  options: 'HR_ASSETS_OPTIONS',
  unreadable: 'HR_ASSETS_UNREADABLE',
  manifestWrite: 'HR_ASSETS_MANIFEST_WRITE',
  copy: 'HR_ASSETS_COPY',
  unknown: 'HR_ASSETS_UNKNOWN',
} as const)

/** One of the codes in `ASSETS_ERROR_CODES`. */
export type AssetsErrorCode = (typeof ASSETS_ERROR_CODES)[keyof typeof ASSETS_ERROR_CODES]

/** Base of every error the assets plugin raises or turns into a problem. */
export class AssetsError extends HotReloadError {
  declare readonly code: AssetsErrorCode
  constructor(code: AssetsErrorCode, message: string, options: HotReloadErrorOptions = {}) {
    super(code, message, options)
  }
}

/**
 * Options that contradict each other or the root (an `outDir` containing the asset directory).
 * A typo or a wrong type is reported by the core's `OptionsError`, with a did-you-mean.
 */
export class AssetsOptionsError extends AssetsError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(ASSETS_ERROR_CODES.options, message, options)
  }
}

/**
 * An asset could not be read: it vanished while being hashed, became a directory, or this
 * process lacks the permission. The batch is rejected; the last good manifest keeps serving.
 */
export class AssetReadError extends AssetsError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(ASSETS_ERROR_CODES.unreadable, message, options)
  }
}

/** The manifest's directory cannot be written, or the staged manifest could not be; the previous manifest stays. */
export class ManifestWriteError extends AssetsError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(ASSETS_ERROR_CODES.manifestWrite, message, options)
  }
}

/** A fingerprinted copy could not be written to `outDir`. */
export class AssetCopyError extends AssetsError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(ASSETS_ERROR_CODES.copy, message, options)
  }
}

/** `url()` was asked for a logical path that is not in the manifest. */
export class UnknownAssetError extends AssetsError {
  constructor(message: string, options: HotReloadErrorOptions = {}) {
    super(ASSETS_ERROR_CODES.unknown, message, options)
  }
}
