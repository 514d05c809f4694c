#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { findConfigFile, loadConfigFile } from './config-file.js'
import { ConfigFileError, formatLocated, HotReloadError } from './errors.js'
import { HISTORY_USAGE, runHistory } from './cli-history.js'
import { createHotReload } from './kernel.js'
import { runInit } from './cli-init.js'
import { createPrinter, useColor, type Printer, type Verbosity } from './cli-output.js'
import { createLoadDisplay } from './cli-progress.js'
import type { HotReloadEvent } from './events.js'
import { didYouMean } from './option-check.js'
import type { HotReloadOptions } from './options.js'
import type { HotReload, Plugin } from './plugin.js'

const USAGE = `Usage: hotreload [command] [options]

Commands:
  watch              watch and apply changes (default)
  check              validate every watched file once, writing nothing; exit 0 if valid, 1 if not
  history            the audit trail of transactions, newest first ("history --help" for filters)
  init               write a commented hotreload.config.ts for the installed plugins, and an example config
  <plugin command>   commands added by plugins, e.g. "backup list"

Options:
  -c, --config <file>  config file (default: hotreload.config.ts in --root or the current directory)
  -r, --root <dir>     project root (overrides the config file's root)
      --dry-run        validate and report what would change, apply nothing
      --json           one JSON event per line on stdout, for programs
      --poll           use stat polling instead of native file events
      --watcher <name> the watcher backend: chokidar (default) or parcel (@parcel/watcher)
      --verbose        also print plugins' info and debug lines, and every file of a big initial load
  -q, --quiet          print only rejections and errors
  -h, --help           this text; "hotreload <command> --help" for one command
  -v, --version        the version

Exit codes: 0 ok, 1 invalid (check) or command failed, 2 usage or config file error.`

/** The built-in commands with their own usage, for `hotreload <command> --help`. */
const BUILTIN: Readonly<Record<string, { readonly description: string; readonly usage: string }>> = {
  watch: {
    description: 'Watches the project and applies each change as a transaction; prints each reload, rejection or rollback with its duration. Ctrl-C (SIGINT) or SIGTERM closes cleanly with exit code 0.',
    usage: 'hotreload [watch] [--config <file>] [--root <dir>] [--dry-run] [--json] [--poll] [--watcher <name>] [--verbose | --quiet]',
  },
  check: {
    description: 'Loads and validates every watched file once as a dry run: nothing is applied or written. Exit code 0 if valid, 1 with every problem printed if not.',
    usage: 'hotreload check [--config <file>] [--root <dir>] [--json] [--verbose | --quiet]',
  },
  init: {
    description: 'Writes a commented hotreload.config.ts for the @hotreload plugins installed in the project, and an example config file that matches its schema. Never overwrites a file.',
    usage: 'hotreload init [--root <dir>]',
  },
}

const isBuiltin = (command: string): boolean => Object.hasOwn(BUILTIN, command)

const GLOBAL_OPTIONS = {
  config: { type: 'string', short: 'c' },
  root: { type: 'string', short: 'r' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  poll: { type: 'boolean' },
  watcher: { type: 'string' },
  verbose: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
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
  if (values.version) return print(readVersion(), 0)
  if (values.verbose && values.quiet) return usageError('--verbose and --quiet cannot be used together')
  const [command = 'watch', ...extra] = positionals
  // history parses its own flags (--since, --path...), so its help is its own usage.
  if (values.help && command === 'history') return print(HISTORY_USAGE, 0)
  if (values.help) return help(positionals[0], values.config, values.root)
  if (extra.length > 0 && isBuiltin(command)) return usageError(`unexpected argument "${extra[0]}" after "${command}"`)
  if (command === 'init') return runInit(values.root ?? '.')

  const json = values.json ?? false
  const verbosity: Verbosity = values.quiet ? 'quiet' : values.verbose ? 'verbose' : 'normal'
  // The initial load's progress line is for a person at a terminal: on stderr, so stdout stays the record.
  const load = json ? undefined : createLoadDisplay({ live: process.stderr.isTTY === true && verbosity !== 'quiet', write: (text) => process.stderr.write(text), listAll: verbosity === 'verbose' })
  const printer = createPrinter({ json, color: !json && useColor(process.env, process.stdout.isTTY === true), verbosity, ...(load ? { load } : {}) })
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
  // Plugins' kernel.log lines (a damaged backup index, a throwing subscriber) reach the terminal.
  if (!options.logger) options = { ...options, logger: printer.logger() }

  if (command === 'watch') return watch(options, printer)
  if (command === 'check') return check(options, printer)
  // Reads the trail only: no instance, so it runs beside a watching process.
  if (command === 'history') return runHistory(commandArgs, { options, json, print: (l) => process.stdout.write(`${l}\n`), printError: (l) => process.stderr.write(`${l}\n`) })
  // A plugin's command is named after the plugin: `hotreload backup list`, `hotreload assets`.
  const pluginCommand = plugins.find((p: Plugin) => p.name === command)?.command
  if (!pluginCommand) return unknownCommand(command, plugins)
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

function usageError(message: string): number {
  process.stderr.write(`hotreload: ${message}\n\n${USAGE}\n`)
  return 2
}

function unknownCommand(command: string, plugins: readonly Plugin[]): number {
  const known = [...Object.keys(BUILTIN), 'history', ...plugins.filter((p: Plugin) => p.command).map((p) => p.name)]
  const near = didYouMean(command, known)
  process.stderr.write(`hotreload: unknown command "${command}"${near ? ` (did you mean "${near}"?)` : ''}. Known commands: ${known.join(', ')}\n`)
  return 2
}

/**
 * `--help`: the global usage plus the commands of the plugins in the config file, when one is
 * found; `<command> --help`: that command's own usage.
 */
async function help(command: string | undefined, configFlag: string | undefined, rootFlag: string | undefined): Promise<number> {
  const builtin = command !== undefined && isBuiltin(command) ? BUILTIN[command] : undefined
  if (builtin) return print(`Usage: ${builtin.usage}\n\n${builtin.description}`, 0)
  let plugins: readonly Plugin[] = []
  let loadError: unknown
  try {
    plugins = (await readOptions(configFlag, rootFlag)).plugins ?? []
  } catch (error) {
    loadError = error
  }
  const commands = plugins.flatMap((p) => (p.command ? [{ name: p.name, plugin: p.name, command: p.command }] : []))
  if (command === undefined) {
    const list = commands.length
      ? `\n\nPlugin commands (from the config file):\n${commands.map((c) => `  ${c.name.padEnd(18)} ${c.command.description} (${c.plugin})`).join('\n')}`
      : loadError
        ? '\n\nPlugin commands are listed here when a hotreload.config.ts is found (--config, --root).'
        : ''
    return print(`${USAGE}${list}`, 0)
  }
  const found = commands.find((c) => c.name === command)
  if (!found) {
    if (loadError) {
      process.stderr.write(`hotreload: ${loadError instanceof HotReloadError ? formatLocated(loadError) : String(loadError)}\n`)
      return 2
    }
    return unknownCommand(command, plugins)
  }
  const usage = (found.command.usage ?? `hotreload ${found.name} [arguments]`).split('\n').map((l) => `  ${l}`).join('\n')
  return print(`Usage:\n${usage}\n\n${found.command.description} (from the ${found.plugin} plugin)`, 0)
}

/**
 * Splits argv at a plugin command: the global options (wherever they stand) and the command
 * name go to `global`; every other argument after the command is the command's own, so a plugin
 * can define flags such as `backup prune --keep-versions 1`; after `--` nothing is taken out.
 * For the built-in commands, which take no arguments, everything is global and parsed strictly.
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
  if (command === undefined || isBuiltin(command)) return { global: [...argv], commandArgs: [] }
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
  if (rootFlag !== undefined) await checkRoot(searchDir)
  const file = configFlag ? resolve(configFlag) : await findConfigFile(searchDir)
  if (!file) {
    throw new ConfigFileError(`no hotreload.config.ts found in ${searchDir}`, {
      hint: 'Create hotreload.config.ts exporting defineConfig({...}), or pass --config <file>.',
    })
  }
  const options = await loadConfigFile(file)
  return rootFlag ? { ...options, root: resolve(rootFlag) } : options
}

// `--root` must be a directory: say so rather than fail later with a raw ENOTDIR.
async function checkRoot(dir: string): Promise<void> {
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new ConfigFileError(`--root ${dir} does not exist`, { hint: 'Pass the project directory (the one holding hotreload.config.ts).' })
    throw error
  })
  if (!info.isDirectory()) {
    throw new ConfigFileError(`--root ${dir} is a file, not a directory`, {
      hint: 'Pass the project directory with --root, and a config file with --config <file>.',
    })
  }
}

async function start(options: HotReloadOptions, printer: Printer, printEvents: boolean, observe?: (e: HotReloadEvent) => void): Promise<HotReload | number> {
  const onEvent = (e: HotReloadEvent) => {
    printer.event(e)
    observe?.(e)
  }
  try {
    return await createHotReload({ ...options, ...(printEvents ? { onEvent } : {}), ...(printEvents && printer.loadProgress ? { onLoadProgress: printer.loadProgress } : {}) })
  } catch (error) {
    printer.fatal(error)
    return 2
  }
}

async function check(options: HotReloadOptions, printer: Printer): Promise<number> {
  // A check validates and writes nothing: no manifest, no backup, no plugin output.
  const reloader = await start({ ...options, watch: false, dryRun: true }, printer, true)
  if (typeof reloader === 'number') return reloader
  const last = reloader.status().last
  await reloader.close()
  const ok = last === undefined || last.status === 'applied' || last.status === 'unchanged' || (last.status === 'dry-run' && last.problems.length === 0)
  printer.summary(ok, last)
  return ok ? 0 : 1
}

async function watch(options: HotReloadOptions, printer: Printer): Promise<number> {
  // A daemon keeps serving whatever a plugin's stray promise does; report it, never die of it.
  const report = (error: unknown) => printer.fatal(error, 'unexpected error (still running)')
  process.on('unhandledRejection', report)
  process.on('uncaughtException', report)
  // The signal handlers go in before the start: a SIGTERM while the initial load runs (a
  // supervisor stopping the process right after it printed "ready", on a loaded machine) would
  // otherwise end it by the signal, with no close. It is kept and acted on once started.
  let early: NodeJS.Signals | undefined
  let onSignal = (signal: NodeJS.Signals) => void (early ??= signal)
  const handle = (signal: NodeJS.Signals) => onSignal(signal)
  process.once('SIGINT', handle)
  process.once('SIGTERM', handle)
  const reloader = await start(options, printer, true)
  if (typeof reloader === 'number') return reloader
  return new Promise<number>((done) => {
    onSignal = (signal: NodeJS.Signals) => {
      printer.info(`${signal}: closing`)
      reloader.close().then(
        () => done(0),
        (error: unknown) => {
          printer.fatal(error, 'close failed')
          done(1)
        },
      )
    }
    if (early) onSignal(early)
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
