#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { findConfigFile, loadConfigFile } from './config-file.js'
import { ConfigFileError } from './errors.js'
import { createHotReload } from './kernel.js'
import { createPrinter } from './cli-output.js'
import type { HotReloadEvent } from './events.js'
import type { HotReloadOptions } from './options.js'
import type { HotReload, Plugin } from './plugin.js'

const USAGE = `Usage: hotreload [command] [options]

Commands:
  watch              watch and apply changes (default)
  check              validate every watched file once, writing nothing; exit 0 if valid, 1 if not
  <plugin command>   commands added by plugins, e.g. "backup list"

Options:
  -c, --config <file>  config file (default: hotreload.config.ts in --root or the current directory)
  -r, --root <dir>     project root (overrides the config file's root)
      --dry-run        validate and report what would change, apply nothing
      --json           one JSON event per line on stdout, for programs
      --poll           use stat polling instead of native file events
      --watcher <name> the watcher backend: chokidar (default) or parcel (@parcel/watcher)
  -h, --help           this text
  -v, --version        the version

Exit codes: 0 ok, 1 invalid (check) or command failed, 2 usage or config file error.`

const GLOBAL_OPTIONS = {
  config: { type: 'string', short: 'c' },
  root: { type: 'string', short: 'r' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  poll: { type: 'boolean' },
  watcher: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const

/** Runs the CLI with `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed
  let commandArgs: string[]
  try {
    const split = splitCommandArgs(argv)
    commandArgs = split.commandArgs
    parsed = parseArgs({ args: split.global, allowPositionals: true, strict: true, options: GLOBAL_OPTIONS })
  } catch (error) {
    process.stderr.write(`hotreload: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) return print(USAGE, 0)
  if (values.version) return print(readVersion(), 0)

  const json = values.json ?? false
  const printer = createPrinter({ json, color: !json && process.stdout.isTTY === true && !process.env['NO_COLOR'] })
  let options: HotReloadOptions
  try {
    options = await readOptions(values.config, values.root)
  } catch (error) {
    printer.fatal(error)
    return 2
  }
  const plugins = options.plugins ?? []
  printer.usePlugins(plugins)
  if (values.poll) options = { ...options, usePolling: true }
  if (values.watcher !== undefined) options = { ...options, watcher: values.watcher }
  if (values['dry-run']) options = { ...options, dryRun: true }
  const [command = 'watch', ...extra] = positionals
  if (extra.length > 0 && (command === 'watch' || command === 'check')) {
    process.stderr.write(`hotreload: unexpected argument "${extra[0]}" after "${command}"\n\n${USAGE}\n`)
    return 2
  }

  if (command === 'watch') return watch(options, printer)
  if (command === 'check') return check(options, printer)
  // A plugin's command is named after the plugin: `hotreload backup list`, `hotreload assets`.
  const pluginCommand = plugins.find((p: Plugin) => p.name === command)?.command
  if (!pluginCommand) {
    const known = ['watch', 'check', ...plugins.filter((p: Plugin) => p.command).map((p) => p.name)]
    process.stderr.write(`hotreload: unknown command "${command}". Known commands: ${known.join(', ')}\n`)
    return 2
  }
  // A command that only reads gets an instance that ran a dry run: it applies and writes nothing,
  // so it can run next to a watcher of the same root without becoming a second writer.
  const readOnly = pluginCommand.readOnly?.(commandArgs) ?? false
  const reloader = await start({ ...options, watch: false, ...(readOnly ? { dryRun: true } : {}) }, printer, false)
  if (typeof reloader === 'number') return reloader
  try {
    return await pluginCommand.run(commandArgs, {
      reloader,
      json,
      print: (line: string) => process.stdout.write(`${line}\n`),
      printError: (line: string) => process.stderr.write(`${line}\n`),
    })
  } finally {
    await reloader.close()
  }
}

/**
 * Splits argv at a plugin command: the global options (wherever they stand) and the command
 * name go to `global`; every other argument after the command is the command's own, so a plugin
 * can define flags such as `backup prune --keep-versions 1`; after `--` nothing is taken out.
 * For `watch` and `check`, which take no arguments, everything is global and parsed strictly.
 */
function splitCommandArgs(argv: readonly string[]): { global: string[]; commandArgs: string[] } {
  const spellings = (name: string, short?: string) => [`--${name}`, ...(short ? [`-${short}`] : [])]
  const entries = Object.entries(GLOBAL_OPTIONS) as [string, { type: string; short?: string }][]
  const takesValue = new Set(entries.filter(([, o]) => o.type === 'string').flatMap(([name, o]) => spellings(name, o.short)))
  const flags = new Set(entries.flatMap(([name, o]) => spellings(name, o.short)))
  const isGlobal = (arg: string) => flags.has(arg) || [...takesValue].some((flag) => flag.startsWith('--') && arg.startsWith(`${flag}=`))
  let i = 0
  while (i < argv.length && argv[i]?.startsWith('-') && argv[i] !== '--') i += takesValue.has(argv[i] ?? '') ? 2 : 1
  const command = argv[i]
  if (command === undefined || command === 'watch' || command === 'check') return { global: [...argv], commandArgs: [] }
  const global = argv.slice(0, i + 1)
  const commandArgs: string[] = []
  for (let j = i + 1; j < argv.length; j++) {
    const arg = argv[j] ?? ''
    // After `--` everything is the command's own, even a flag spelled like a global one.
    if (arg === '--') {
      commandArgs.push(...argv.slice(j + 1))
      break
    }
    if (!isGlobal(arg)) {
      commandArgs.push(arg)
      continue
    }
    global.push(arg)
    if (takesValue.has(arg) && j + 1 < argv.length) global.push(argv[++j] ?? '')
  }
  return { global, commandArgs }
}

async function readOptions(configFlag: string | undefined, rootFlag: string | undefined): Promise<HotReloadOptions> {
  const searchDir = resolve(rootFlag ?? '.')
  const file = configFlag ? resolve(configFlag) : await findConfigFile(searchDir)
  if (!file) {
    throw new ConfigFileError(`no hotreload.config.ts found in ${searchDir}`, {
      hint: 'Create hotreload.config.ts exporting defineConfig({...}), or pass --config <file>.',
    })
  }
  const options = await loadConfigFile(file)
  return rootFlag ? { ...options, root: resolve(rootFlag) } : options
}

async function start(options: HotReloadOptions, printer: ReturnType<typeof createPrinter>, printEvents: boolean): Promise<HotReload | number> {
  try {
    return await createHotReload({ ...options, ...(printEvents ? { onEvent: (e: HotReloadEvent) => printer.event(e) } : {}) })
  } catch (error) {
    printer.fatal(error)
    return 2
  }
}

async function check(options: HotReloadOptions, printer: ReturnType<typeof createPrinter>): Promise<number> {
  // A check validates and writes nothing: no manifest, no backup, no plugin output.
  const reloader = await start({ ...options, watch: false, dryRun: true }, printer, true)
  if (typeof reloader === 'number') return reloader
  const last = reloader.status().last
  await reloader.close()
  const ok = last === undefined || last.status === 'applied' || last.status === 'unchanged' || (last.status === 'dry-run' && last.problems.length === 0)
  printer.summary(ok, last)
  return ok ? 0 : 1
}

async function watch(options: HotReloadOptions, printer: ReturnType<typeof createPrinter>): Promise<number> {
  // A daemon keeps serving whatever a plugin's stray promise does; report it, never die of it.
  const report = (error: unknown) => printer.fatal(error, 'unexpected error (still running)')
  process.on('unhandledRejection', report)
  process.on('uncaughtException', report)
  // Registered before the initial load, which can take long on a big tree: a signal during it
  // closes the instance as soon as it exists, with exit code 0, instead of killing the process.
  let signalled: NodeJS.Signals | undefined
  let onSignal = (signal: NodeJS.Signals): void => {
    signalled ??= signal
    printer.info(`${signal}: closing after the initial load`)
  }
  process.once('SIGINT', (signal) => onSignal(signal))
  process.once('SIGTERM', (signal) => onSignal(signal))
  const reloader = await start(options, printer, true)
  if (typeof reloader === 'number') return reloader
  return new Promise<number>((done) => {
    const stop = (signal: NodeJS.Signals) => {
      printer.info(`${signal}: closing`)
      reloader.close().then(
        () => done(0),
        (error: unknown) => {
          printer.fatal(error, 'close failed')
          done(1)
        },
      )
    }
    if (signalled) stop(signalled)
    else onSignal = stop
  })
}

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

function print(text: string, code: number): number {
  process.stdout.write(`${text}\n`)
  return code
}

// Run when executed as the bin (through npm's symlink too), not when imported by tests.
const self = fileURLToPath(import.meta.url)
const invoked = process.argv[1] ? realpathSync(resolve(process.argv[1])) : ''
if (invoked === self) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`hotreload: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      process.exit(2)
    },
  )
}
