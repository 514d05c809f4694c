import { mkdir, readdir } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import picomatch from 'picomatch'
import { toProblem, writeFileAtomic, type Kernel, type Transaction, type TransactionRecord } from '@hotreload/core'
import { createAssetsCommand } from './commands.js'
import { AssetsOptionsError, ManifestWriteError, UnknownAssetError, describeFsError } from './errors.js'
import { commitManifestFile, freezeManifest, readManifestFile, restoreManifestFile, serializeManifest, stageManifestFile } from './manifest.js'
import { resolveAssetsOptions } from './options.js'
import { CopyRetention, commitCopy, removeFile } from './output.js'
import { stageAssets, type StagedAssets } from './stage.js'
import type { AssetStats, AssetUpdatedEvent, AssetsPlugin, AssetsPluginOptions, Manifest, ManifestEntry } from './types.js'

/** What validate leaves for apply, under this plugin's key in `tx.staged`. */
interface Staged extends StagedAssets {
  /** The staged manifest file, absent when the bytes on disk are already right. */
  readonly manifestTemp?: string
  /** The manifest's bytes before this transaction, for rollback (`undefined`: there was none). */
  readonly previousManifest?: Buffer
}

/** Files a transaction leaves behind: temps to remove unless renamed, copies to prune once committed. */
interface Leftovers {
  readonly temps: string[]
  prune: string[]
}

/** Absolute paths, known once the plugin is applied to a kernel. */
interface Paths {
  readonly root: string
  readonly manifest: string
  readonly output?: string
}

/**
 * Creates the assets plugin: it watches `dir` (default `static/`), keeps a manifest mapping each
 * asset's logical path to its content-hashed name, sha256 and SRI integrity, writes it
 * atomically to `manifestPath` on every applied transaction, and optionally keeps fingerprinted
 * copies in `outputDir`. The returned object is both the plugin to pass to `createHotReload` and
 * the app's handle: `manifest()`, `url()`, `stats()`. Throws `AssetsOptionsError` for bad options.
 */
export function assetsPlugin(options: AssetsPluginOptions = {}): AssetsPlugin {
  const opts = resolveAssetsOptions(options)
  const { name } = opts
  const stagedKey = `assets:${name}`
  const isAsset = picomatch([...opts.files])
  const dirPrefix = opts.dir === '' ? '' : `${opts.dir}/`

  let entries = new Map<string, ManifestEntry>()
  let frozen: Manifest | undefined
  let retention = new CopyRetention(opts.keepVersions)
  let paths: Paths | undefined
  let lastHashed: readonly string[] = []
  const counters = { hashed: 0, bytesHashed: 0, reused: 0, manifestWrites: 0, copiesWritten: 0, copiesRemoved: 0 }
  const leftovers = new Map<number, Leftovers>()

  const logicalOf = (path: string): string | undefined => {
    if (!path.startsWith(dirPrefix)) return undefined
    const logical = path.slice(dirPrefix.length)
    return logical !== '' && isAsset(logical) ? logical : undefined
  }
  const urlOf = (entry: ManifestEntry): string => opts.publicPath + entry.file.split('/').map(encodeURIComponent).join('/')

  async function validate(tx: Transaction, at: Paths): Promise<void> {
    const claimed = tx.claimed(name)
    // The initial load stages the manifest even when none of its files are assets, so the file
    // always exists and never lists assets deleted while no instance was running.
    if (claimed.length === 0 && tx.reason !== 'initial') return
    const left: Leftovers = { temps: [], prune: [] }
    leftovers.set(tx.id, left)
    const staged = await stageAssets(claimed, {
      current: entries,
      logicalOf,
      hashLength: opts.hashLength,
      // A dry run reports what would change; it copies nothing.
      ...(at.output !== undefined && !tx.dryRun ? { outputDir: at.output } : {}),
      signal: tx.signal,
      temps: left.temps,
      read: (change) => tx.read(change),
      onHashed(_, bytes) {
        counters.hashed++
        counters.bytesHashed += bytes
      },
    })
    if (tx.signal.aborted) {
      // The stage ran out of time and the kernel has moved on (its notify may already have run):
      // whatever this late staging wrote is nobody's to commit.
      for (const temp of left.temps) await removeFile(temp)
      return
    }
    lastHashed = Object.freeze([...staged.hashed])
    counters.reused += staged.reused
    for (const error of staged.errors) tx.problem(toProblem(error, name))

    const manifestRel = display(at, at.manifest)
    let previousManifest: Buffer | undefined
    let manifestTemp: string | undefined
    try {
      previousManifest = await readManifestFile(at.manifest)
      const text = serializeManifest(staged.entries)
      if (previousManifest === undefined || previousManifest.toString('utf8') !== text) {
        manifestTemp = await stageManifestFile(at.manifest, text)
        left.temps.push(manifestTemp)
      }
    } catch (error) {
      const { reason, hint } = describeFsError(error)
      const failure = new ManifestWriteError(`cannot write the asset manifest ${manifestRel}: ${reason}`, {
        path: manifestRel,
        hint: `${hint} The previous manifest stays in place until this is fixed.`,
        cause: error,
      })
      tx.problem(toProblem(failure, name))
    }
    tx.staged.set(stagedKey, {
      ...staged,
      ...(manifestTemp !== undefined ? { manifestTemp } : {}),
      ...(previousManifest !== undefined ? { previousManifest } : {}),
    } satisfies Staged)
  }

  async function apply(tx: Transaction, at: Paths): Promise<void> {
    const staged = tx.staged.get(stagedKey) as Staged | undefined
    if (!staged) return
    const left = leftovers.get(tx.id)
    const previousEntries = entries
    const previousFrozen = frozen
    const restoreRetention = retention.snapshot(staged.updates.map((u) => u.logicalPath))
    const committedCopies: string[] = []
    let manifestReplaced = false
    // Registered before the first rename, and it undoes only what actually happened.
    tx.onRollback(name, async () => {
      entries = previousEntries
      frozen = previousFrozen
      restoreRetention()
      if (left) left.prune = []
      if (manifestReplaced) await restoreManifestFile(at.manifest, staged.previousManifest)
      for (const file of committedCopies) if (await removeFile(file)) counters.copiesRemoved++
    })

    for (const copy of staged.copies) {
      await commitCopy(copy.temp, copy.final)
      committedCopies.push(copy.final)
      counters.copiesWritten++
    }
    if (staged.manifestTemp !== undefined) {
      await commitManifestFile(staged.manifestTemp, at.manifest)
      manifestReplaced = true
      counters.manifestWrites++
    }
    entries = staged.entries
    frozen = undefined

    for (const update of staged.updates) {
      if (at.output !== undefined && update.after && left) {
        // Pruned only after commit (in notify): a rollback must find the previous copies intact.
        for (const file of retention.record(update.logicalPath, update.after.file)) left.prune.push(join(at.output, file))
      }
      tx.emit(toEvent(update))
    }
  }

  function toEvent(update: StagedAssets['updates'][number]): Omit<AssetUpdatedEvent, 'version' | 'time'> {
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

  async function settle(record: Pick<TransactionRecord, 'id' | 'status'>): Promise<void> {
    const left = leftovers.get(record.id)
    if (!left) return
    leftovers.delete(record.id)
    if (record.status === 'applied') for (const file of left.prune) if (await removeFile(file)) counters.copiesRemoved++
    // After a commit the temps were renamed away and this finds nothing; otherwise it cleans up.
    for (const temp of left.temps) await removeFile(temp)
  }

  /**
   * The core runs no transaction when nothing is watched, so with no assets the initial load
   * would never write the manifest, and one left by an earlier run would keep listing files
   * deleted since. An empty asset set has a known manifest: write it now.
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
        const logical = logicalOf(rel)
        return logical !== undefined && !ignored(rel)
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
  const url = (logicalPath: string): string => {
    const key = logicalPath.replace(/^\/+/, '')
    const entry = entries.get(key)
    if (!entry) throw unknownAsset(key, entries, opts.dir, name)
    return urlOf(entry)
  }

  const plugin: AssetsPlugin = {
    name,
    commands: { [name]: createAssetsCommand(name, { manifest, url }) },
    async apply(kernel: Kernel) {
      if (paths !== undefined) {
        throw new AssetsOptionsError(`assets plugin "${name}" is already applied to a running hotreload instance`, {
          plugin: name,
          hint: 'Create one assetsPlugin() per createHotReload() call, or close the first instance.',
        })
      }
      const at = resolvePaths(kernel.root, opts.dir, opts.manifestPath, opts.outputDir, name)
      paths = at
      // A fresh start: whatever changed while no instance ran is reported by the initial load.
      entries = new Map()
      frozen = undefined
      retention = new CopyRetention(opts.keepVersions)

      const removeInclude = kernel.include(opts.files.map((glob) => dirPrefix + glob))
      const removeExclude = kernel.exclude(ownOutputs(at))

      kernel.hooks.detect.tap(name, (changes, tx) => {
        for (const change of changes) {
          if (logicalOf(change.path) !== undefined || (change.from !== undefined && logicalOf(change.from) !== undefined)) tx.claim(name, change)
        }
        return changes
      })
      kernel.hooks.validate.tapPromise(name, (tx) => validate(tx, at))
      kernel.hooks.apply.tapPromise(name, (tx) => apply(tx, at))
      kernel.hooks.notify.tapPromise(name, (record) => settle(record))
      await writeEmptyManifestIfNoAssets(kernel, at)
      kernel.onClose(async () => {
        for (const id of [...leftovers.keys()]) await settle({ id, status: 'rejected' })
        removeInclude()
        removeExclude()
        paths = undefined
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

function resolvePaths(root: string, dir: string, manifestPath: string, outputDir: string | undefined, name: string): Paths {
  const assetsDir = resolve(root, dir)
  const manifest = resolve(root, manifestPath)
  const output = outputDir === undefined ? undefined : resolve(root, outputDir)
  const inside = (parent: string, child: string) => child === parent || child.startsWith(parent + sep)
  if (output !== undefined && inside(output, assetsDir)) {
    throw new AssetsOptionsError(`assets plugin "${name}": outputDir ${outputDir} contains the asset directory ${dir || '.'}, so the copies would be hashed as assets`, {
      plugin: name,
      hint: 'Choose an outputDir outside the asset directory, e.g. public/assets.',
    })
  }
  if (manifest === assetsDir || (output !== undefined && inside(output, manifest))) {
    throw new AssetsOptionsError(`assets plugin "${name}": manifestPath ${manifestPath} must be a file outside outputDir and other than the asset directory`, {
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
    // Temp files beside the manifest, from staging and from writeFileAtomic on rollback.
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
