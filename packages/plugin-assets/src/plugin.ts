import { mkdir, readdir } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import picomatch from 'picomatch'
import { createStagingKey, toProblem, writeFileAtomic, type Kernel, type Transaction, type TransactionRecord } from '@hotreload/core'
import { createAssetsCommand, type ManifestView } from './commands.js'
import { AssetsOptionsError, ManifestWriteError, UnknownAssetError } from './errors.js'
import { describeFsError } from './fs-reason.js'
import type { AssetUpdatedEvent } from './events.js'
import { commitManifestFile, freezeManifest, readManifestFile, serializeManifest, stageManifestFile } from './manifest.js'
import { resolveAssetsOptions } from './options.js'
import { CopyRetention, checkWritableDir, commitCopy, removeFile } from './output.js'
import { stageAssets, type StagedAssets } from './stage.js'
import type { AssetStats, AssetsPlugin, AssetsPluginOptions, Manifest, ManifestEntry } from './types.js'
import { writePlannedCopy, type WrittenCopy } from './write.js'

/** What apply wrote, for commit to rename into place (and the undo to remove). */
interface Written {
  readonly copies: readonly WrittenCopy[]
  /** The staged manifest file, absent when the bytes on disk are already right. */
  readonly manifestTemp?: string
  readonly temps: readonly string[]
}

/** Absolute paths, known once the plugin is applied to a kernel. */
interface Paths {
  readonly root: string
  readonly manifest: string
  readonly output?: string
}

/**
 * Creates the assets plugin: it watches `files` (default everything under `dir`, `static/`),
 * keeps a manifest mapping each asset's logical path to its content-hashed name, sha256 and SRI
 * integrity, writes it atomically to `manifestPath` when a transaction commits, and optionally
 * keeps fingerprinted copies in `outDir`. The returned object is both the plugin to pass to
 * `createHotReload` and the app's handle: `manifest()`, `url()`, `stats()`. Throws the core's
 * `OptionsError` for unknown or ill-typed options.
 */
export function assetsPlugin(options: AssetsPluginOptions = {}): AssetsPlugin {
  const opts = resolveAssetsOptions(options)
  const { name } = opts
  const plannedKey = createStagingKey<StagedAssets>(`${name}:planned`)
  const writtenKey = createStagingKey<Written>(`${name}:written`)
  const isAsset = picomatch([...opts.files], { dot: true })
  const dirPrefix = opts.dir === '' ? '' : `${opts.dir}/`

  // The committed state: what manifest() and url() serve. Replaced only in the commit tap.
  let entries = new Map<string, ManifestEntry>()
  let frozen: Manifest | undefined
  // The manifest the last dry run computed, for the read-only CLI command.
  let preview: { readonly id: number; readonly entries: ReadonlyMap<string, ManifestEntry> } | undefined
  const retention = new CopyRetention(opts.keepVersions)
  let paths: Paths | undefined
  let lastHashed: readonly string[] = []
  const counters = { hashed: 0, bytesHashed: 0, reused: 0, manifestWrites: 0, copiesWritten: 0, copiesRemoved: 0 }

  const logicalOf = (path: string): string | undefined => {
    if (!path.startsWith(dirPrefix) || !isAsset(path)) return undefined
    const logical = path.slice(dirPrefix.length)
    return logical === '' ? undefined : logical
  }
  const urlOf = (entry: ManifestEntry): string => opts.publicPath + entry.file.split('/').map(encodeURIComponent).join('/')

  /** Stages the next manifest and plans the copies; reads, and writes nothing anywhere. */
  async function validate(tx: Transaction, at: Paths): Promise<void> {
    const claimed = tx.claimed(name)
    // The initial load stages the manifest even when none of its files are assets, so the file
    // always exists and never lists assets deleted while no instance was running.
    if (claimed.length === 0 && tx.reason !== 'initial') return
    const staged = await stageAssets(claimed, {
      current: entries,
      logicalOf,
      hashLength: opts.hashLength,
      ...(at.output !== undefined ? { outDir: at.output } : {}),
      signal: tx.signal,
      read: (change) => tx.read(change),
      onHashed(_, bytes) {
        counters.hashed++
        counters.bytesHashed += bytes
      },
    })
    lastHashed = Object.freeze([...staged.hashed])
    counters.reused += staged.reused
    for (const error of staged.errors) tx.problem(toProblem(error, name))
    // Whether the manifest can be written is known here, before anything changed, so an
    // unwritable one rejects the batch with a clear problem instead of rolling it back.
    const blocked = await checkWritableDir(dirname(at.manifest), 'ENOTDIR')
    if (blocked) tx.problem(toProblem(manifestWriteError(at, blocked), name))
    tx.stage(plannedKey, staged)
    if (tx.dryRun) preview = { id: tx.id, entries: staged.entries }
  }

  /** Writes the planned copies and the manifest to temp files; readers see none of it yet. */
  async function apply(tx: Transaction, at: Paths): Promise<void> {
    const staged = tx.staged(plannedKey)
    if (!staged) return
    const temps: string[] = []
    // Registered before the first write: removing the temps undoes everything this tap did.
    tx.onRollback(name, async () => {
      for (const temp of temps) await removeFile(temp)
    })
    const copies: WrittenCopy[] = []
    for (const plan of staged.copies) {
      if (tx.signal.aborted) return
      copies.push(await writePlannedCopy(plan, at.output as string, { temps, read: (change) => tx.read(change), signal: tx.signal }))
    }
    const text = serializeManifest(staged.entries)
    let manifestTemp: string | undefined
    try {
      if ((await readManifestFile(at.manifest))?.toString('utf8') !== text) manifestTemp = await stageManifestFile(at.manifest, text, temps)
    } catch (error) {
      throw manifestWriteError(at, error)
    }
    tx.stage(writtenKey, { copies, temps, ...(manifestTemp !== undefined ? { manifestTemp } : {}) })
  }

  /**
   * Makes the transaction visible: renames the copies into place (new names, so nothing that
   * serves the old manifest changes), swaps the in-memory manifest, then renames the manifest
   * file, so whoever sees the new file already gets the new `manifest()`; then prunes the copies
   * beyond `keepVersions`. It cannot fail the transaction: a rename that fails is reported (an
   * `error` event) and the next transaction writes the manifest again.
   */
  async function commit(tx: Transaction, at: Paths, kernel: Kernel): Promise<void> {
    const staged = tx.staged(plannedKey)
    if (!staged) return
    const written = tx.staged(writtenKey)
    let failure: unknown
    try {
      for (const copy of written?.copies ?? []) {
        await commitCopy(copy.temp, copy.final)
        counters.copiesWritten++
      }
    } catch (error) {
      failure = error
    }
    entries = staged.entries
    frozen = undefined
    for (const update of staged.updates) tx.emit(toEvent(update))
    if (failure === undefined && written?.manifestTemp !== undefined) {
      try {
        await commitManifestFile(written.manifestTemp, at.manifest)
        counters.manifestWrites++
      } catch (error) {
        failure = error
      }
    }
    if (failure !== undefined) {
      // Whatever was not renamed is nobody's: a temp file is never served.
      for (const temp of written?.temps ?? []) await removeFile(temp).catch((error: unknown) => kernel.log.warn(`${name}: cannot remove ${temp}: ${String(error)}`))
      throw manifestWriteError(at, failure)
    }
    if (at.output !== undefined) await prune(staged, at.output, kernel)
  }

  /** Removes the copies that fell out of retention; the committed ones are never among them. */
  async function prune(staged: StagedAssets, output: string, kernel: Kernel): Promise<void> {
    for (const update of staged.updates) {
      if (!update.after) continue
      for (const file of retention.record(update.logicalPath, update.after.file)) {
        try {
          if (await removeFile(join(output, file))) counters.copiesRemoved++
        } catch (error) {
          kernel.log.warn(`assets plugin "${name}": cannot remove the superseded copy ${join(output, file)}: ${describeFsError(error).reason}`)
        }
      }
    }
  }

  function toEvent(update: StagedAssets['updates'][number]): Omit<AssetUpdatedEvent, 'version' | 'runId' | 'time'> {
    return {
      type: 'asset:updated',
      plugin: name,
      kind: update.kind,
      logicalPath: update.logicalPath,
      paths: update.paths,
      ...(update.from !== undefined ? { from: update.from } : {}),
      ...(update.before ? { oldHash: update.before.hash, oldUrl: urlOf(update.before) } : {}),
      ...(update.after ? { newHash: update.after.hash, url: urlOf(update.after) } : {}),
    }
  }

  /**
   * The core runs no transaction when nothing is watched, so with no assets the initial load
   * would never write the manifest, and one left by an earlier run would keep listing files
   * deleted since. An empty asset set has a known manifest: write it now (never in a dry run).
   */
  async function writeEmptyManifestIfNoAssets(kernel: Kernel, at: Paths): Promise<void> {
    if (kernel.options.dryRun) return
    const ignored = picomatch([...kernel.options.ignore], { dot: true })
    let found: boolean
    try {
      const dirents = await readdir(resolve(at.root, opts.dir), { recursive: true, withFileTypes: true })
      found = dirents.some((d) => {
        if (!d.isFile()) return false
        const rel = relative(at.root, join(d.parentPath, d.name)).split(sep).join('/')
        return logicalOf(rel) !== undefined && !ignored(rel)
      })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // No asset directory at all is the same as an empty one.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error
      found = false
    }
    if (found) return
    const text = serializeManifest(new Map())
    try {
      if ((await readManifestFile(at.manifest))?.toString('utf8') === text) return
      await mkdir(dirname(at.manifest), { recursive: true })
      await writeFileAtomic(at.manifest, text)
      counters.manifestWrites++
    } catch (error) {
      // Not fatal: the first asset that appears stages the manifest again and reports the problem then.
      const { reason, hint } = describeFsError(error)
      kernel.log.warn(`assets plugin "${name}": cannot write the empty manifest ${display(at, at.manifest)}: ${reason} (${hint})`)
    }
  }

  const manifest = (): Manifest => {
    frozen ??= freezeManifest(entries)
    return frozen
  }
  const urlIn = (map: ReadonlyMap<string, ManifestEntry>, logicalPath: string): string => {
    const key = logicalPath.replace(/^\/+/, '')
    const entry = map.get(key)
    if (!entry) throw unknownAsset(key, map, opts.dir, name)
    return urlOf(entry)
  }
  const url = (logicalPath: string): string => urlIn(entries, logicalPath)
  // A read-only command runs on an instance that only ran a dry run: it shows what that computed.
  const view = (last: TransactionRecord | undefined): ManifestView => {
    const shown = last?.status === 'dry-run' && preview?.id === last.id ? preview.entries : undefined
    if (!shown) return { manifest, url }
    return { manifest: () => freezeManifest(shown), url: (logicalPath) => urlIn(shown, logicalPath) }
  }

  const plugin: AssetsPlugin = {
    name,
    command: createAssetsCommand(name, view),
    async apply(kernel: Kernel) {
      const at = resolvePaths(kernel.root, opts.dir, opts.manifestPath, opts.outDir, name)
      paths = at
      const removeClaim = kernel.claimFiles(name, opts.files, (change) => logicalOf(change.path) !== undefined || (change.from !== undefined && logicalOf(change.from) !== undefined))
      const removeExclude = kernel.exclude(ownOutputs(at))
      kernel.hooks.validate.tapPromise(name, (tx) => validate(tx, at))
      kernel.hooks.apply.tapPromise(name, (tx) => apply(tx, at))
      kernel.hooks.commit.tapPromise(name, (tx) => commit(tx, at, kernel))
      // Temps a crash left between apply and commit (see kernel.sweepTemps).
      await kernel.sweepTemps(dirname(at.manifest))
      if (at.output !== undefined) await kernel.sweepTemps(at.output, { recursive: true })
      await writeEmptyManifestIfNoAssets(kernel, at)
      kernel.onClose(() => {
        removeClaim()
        removeExclude()
      })
    },
    manifest,
    url,
    stats(): AssetStats {
      let totalBytes = 0
      for (const e of entries.values()) totalBytes += e.size
      return Object.freeze({ ...counters, assets: entries.size, totalBytes, lastHashed, manifestPath: paths?.manifest ?? '' })
    },
  }
  return plugin
}

function manifestWriteError(at: Paths, cause: unknown): ManifestWriteError {
  const { reason, hint } = describeFsError(cause)
  const rel = display(at, at.manifest)
  return new ManifestWriteError(`cannot write the asset manifest ${rel}: ${reason}`, {
    path: rel,
    hint: `${hint} The previous manifest stays in place until this is fixed.`,
    cause,
  })
}

function resolvePaths(root: string, dir: string, manifestPath: string, outDir: string | undefined, name: string): Paths {
  const assetsDir = resolve(root, dir)
  const manifest = resolve(root, manifestPath)
  const output = outDir === undefined ? undefined : resolve(root, outDir)
  const inside = (parent: string, child: string) => child === parent || child.startsWith(parent + sep)
  if (output !== undefined && inside(output, assetsDir)) {
    throw new AssetsOptionsError(`assets plugin "${name}": outDir ${outDir} contains the asset directory ${dir || '.'}, so the copies would be hashed as assets`, {
      plugin: name,
      hint: 'Choose an outDir outside the asset directory, e.g. public/assets.',
    })
  }
  if (manifest === assetsDir || (output !== undefined && inside(output, manifest))) {
    throw new AssetsOptionsError(`assets plugin "${name}": manifestPath ${manifestPath} must be a file outside outDir and other than the asset directory`, {
      plugin: name,
      hint: 'Point manifestPath at a file of its own, e.g. .hotreload/assets-manifest.json.',
    })
  }
  return { root, manifest, ...(output !== undefined ? { output } : {}) }
}

/** Everything the plugin writes, so its own writes never come back as changes. */
function ownOutputs(at: Paths): string[] {
  const own = [at.manifest]
  if (at.output !== undefined) own.push(at.output)
  const dir = relative(at.root, dirname(at.manifest))
  if (!dir.startsWith('..') && !isAbsolute(dir)) {
    // Temp files beside the manifest, from apply and from writeFileAtomic.
    const prefix = dir === '' ? '' : `${dir.split(sep).join('/')}/`
    own.push(`${prefix}.${basename(at.manifest)}.*.tmp`)
  }
  return own
}

function display(at: Paths, absolute: string): string {
  const rel = relative(at.root, absolute)
  return rel.startsWith('..') || isAbsolute(rel) ? absolute : rel.split(sep).join('/')
}

function unknownAsset(key: string, entries: ReadonlyMap<string, ManifestEntry>, dir: string, name: string): UnknownAssetError {
  const prefix = dir === '' ? '' : `${dir}/`
  const stripped = prefix !== '' && key.startsWith(prefix) ? key.slice(prefix.length) : undefined
  const base = key.split('/').pop() ?? key
  const suggestion = stripped !== undefined && entries.has(stripped) ? stripped : [...entries.keys()].find((k) => k.split('/').pop() === base)
  return new UnknownAssetError(`unknown asset "${key}": it is not in the manifest of plugin "${name}" (${entries.size} assets)`, {
    plugin: name,
    hint: suggestion !== undefined
      ? `Did you mean "${suggestion}"?`
      : `Logical paths are relative to "${prefix || './'}", e.g. "css/app.css" for ${prefix}css/app.css; check that the file exists and the initial load was applied.`,
  })
}
