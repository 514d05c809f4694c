import { styleText } from 'node:util'
import { formatLocated, HotReloadError } from './errors.js'
import { redactSecrets, redactValue } from './redact.js'
import type { Problem } from './errors.js'
import type { HotReloadEvent } from './events.js'
import type { Plugin } from './plugin.js'
import type { TransactionRecord } from './record.js'
import type { Logger } from './logger.js'

type Style = Parameters<typeof styleText>[0]

/** How much the CLI prints: `quiet` only what went wrong, `verbose` plugins' info and debug lines too. */
export type Verbosity = 'quiet' | 'normal' | 'verbose'

/** "1 file", "2 files". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/**
 * Colour on a TTY, never with NO_COLOR, always with FORCE_COLOR set to anything but 0 (for CI
 * logs and pagers that show colour although stdout is piped).
 */
export function useColor(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  const force = env['FORCE_COLOR']
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false'
  if (env['NO_COLOR']) return false
  return isTTY
}

/** Problems in file order, then line and column order; ones without a position last in their file. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const at = (n: number | undefined) => n ?? Number.MAX_SAFE_INTEGER
  return [...problems].sort((a, b) => (a.path ?? '\uffff').localeCompare(b.path ?? '\uffff') || at(a.line) - at(b.line) || at(a.column) - at(b.column))
}

/**
 * Prints events for people (short lines, coloured on a TTY, each reload with its duration) or
 * for programs (`--json`: one event per line, the same union the library emits). Plugins'
 * `redactEvent` runs first either way, so secrets never reach a terminal or a log.
 */
export function createPrinter({ json, color, verbosity = 'normal' }: { json: boolean; color: boolean; verbosity?: Verbosity }) {
  let plugins: readonly Plugin[] = []
  const paint = (style: Style, text: string) => (color ? styleText(style, text) : text)
  const out = (line: string) => process.stdout.write(`${line}\n`)
  const err = (line: string) => process.stderr.write(`${line}\n`)
  // Plugins mask by key name; then credentials inside any value (URLs, Authorization headers).
  const redact = (event: HotReloadEvent) => redactValue(plugins.reduce((e, p) => (p.redactEvent ? p.redactEvent(e) : e), event))
  const quiet = verbosity === 'quiet'

  const problemLine = (p: Problem) =>
    `  ${paint('red', '✗')} ${formatLocated(p)}${p.keyPath ? paint('dim', ` [${p.keyPath}]`) : ''}${paint('dim', ` (${p.plugin})`)}`
  const changeList = (e: { changes: readonly { kind: string; path: string; from?: string }[] }) =>
    e.changes.map((c) => (c.from ? `${c.from} → ${c.path}` : `${c.path}${c.kind === 'modified' ? '' : ` (${c.kind})`}`)).join(', ')

  function human(event: HotReloadEvent): void {
    switch (event.type) {
      case 'ready':
        if (!quiet) out(paint('cyan', `hotreload ready: ${plural(event.files, 'file')} watched, version ${event.version} (${event.durationMs} ms)`))
        return
      case 'applied':
        if (!quiet) out(`${paint('green', '✓')} v${event.version} ${changeList(event) || 'no files'} ${paint('dim', `in ${event.durationMs} ms${event.plugins.length ? ` [${event.plugins.join(', ')}]` : ''}`)}`)
        return
      case 'rejected':
        out(`${paint('red', '✗ rejected')} ${changeList(event) || 'initial load'}: ${plural(event.problems.length, 'problem')}, still serving v${event.version} ${paint('dim', `(${event.durationMs} ms)`)}`)
        sortProblems(event.problems).forEach((p) => out(problemLine(p)))
        return
      case 'rolled-back':
        out(`${paint('yellow', '↺ rolled back')} ${changeList(event)}: ${formatLocated(event.error)}${event.error.plugin ? ` (${event.error.plugin})` : ''}, still serving v${event.version}`)
        return
      case 'aborted':
        out(`${paint('yellow', '⊘ aborted')} ${changeList(event)}: ${event.abort.message}${event.abort.plugin ? ` (${event.abort.plugin})` : ''}, still serving v${event.version}`)
        return
      case 'dry-run':
        if (!quiet || event.problems.length > 0) {
          out(`${paint('blue', '◌ dry run')} would apply ${changeList(event) || 'nothing'}${event.problems.length ? `, but ${plural(event.problems.length, 'problem')}:` : ''}`)
        }
        sortProblems(event.problems).forEach((p) => out(problemLine(p)))
        return
      case 'resolved':
        out(`${paint('green', '✓ resolved')} ${event.paths.join(', ')}: back to the applied content, serving v${event.version}`)
        return
      case 'error':
        err(`${paint('red', 'error')} ${formatLocated(event.error)}`)
        return
      default:
        if (!quiet) {
          out(`  ${paint('dim', describePluginEvent(event))}`)
          for (const line of diffLines(event)) out(`    ${paint('dim', line)}`)
        }
    }
  }

  return {
    usePlugins(list: readonly Plugin[]) {
      plugins = list
    },
    event(event: HotReloadEvent) {
      const shown = redact(event)
      if (json) out(JSON.stringify(shown))
      else human(shown)
    },
    info(message: string) {
      if (!json && !quiet) err(paint('dim', message))
    },
    summary(ok: boolean, last: TransactionRecord | undefined) {
      if (json) return
      const files = last?.changes.length ?? 0
      if (ok) {
        if (!quiet) out(paint('green', `✓ valid (${plural(files, 'file')} checked)`))
        return
      }
      out(paint('red', `✗ invalid: ${plural(last?.problems.length ?? 0, 'problem')}${last?.error ? `: ${redactSecrets(last.error.message)}` : ''}`))
    },
    /**
     * The logger plugins get as `kernel.log` under the CLI: warnings and errors always (on
     * stderr, so `--json` stdout stays one event per line), info and debug with `--verbose`,
     * errors only with `--quiet`.
     */
    logger(): Logger {
      const line = (style: Style, label: string) => (message: string) => err(`${paint(style, `${label}:`)} ${message}`)
      const none = () => {}
      return {
        debug: verbosity === 'verbose' ? line('dim', 'debug') : none,
        info: verbosity === 'verbose' ? line('cyan', 'info') : none,
        warn: quiet ? none : line('yellow', 'warning'),
        error: line('red', 'error'),
      }
    },
    /** One clear message for an error that stops the command. */
    fatal(error: unknown, context = 'hotreload') {
      const text = redactSecrets(error instanceof HotReloadError ? formatLocated(error) : error instanceof Error ? error.message : String(error))
      if (json) {
        const code = error instanceof HotReloadError ? error.code : 'HR_FATAL'
        out(JSON.stringify({ type: 'error', version: 0, paths: [], time: new Date().toISOString(), error: { code, message: text } }))
      } else {
        err(`${paint('red', `${context}:`)} ${text}`)
      }
    },
  }
}

/** What `createPrinter` returns. */
export type Printer = ReturnType<typeof createPrinter>

function describePluginEvent(event: HotReloadEvent): string {
  const e = event as unknown as Record<string, unknown>
  const detail = ['name', 'names', 'path']
    .map((k) => e[k])
    .filter((v) => v !== undefined)
    .map((v) => (Array.isArray(v) ? v.join(', ') : String(v)))
    .join(' ')
  return `${event.type}${detail ? ` ${detail}` : ` ${event.paths.join(', ')}`}`
}

interface DiffEntryLike {
  readonly kind: string
  readonly path: string
  readonly oldValue?: unknown
  readonly newValue?: unknown
}

const MAX_DIFF_LINES = 10

/**
 * The lines of a plugin event's `diff` (config:changed has one), as the demo prints them:
 * `~ greeting: "Hello" -> "Welcome back"`. Values are the redacted ones the printer was given.
 */
function diffLines(event: HotReloadEvent): string[] {
  const { diff, oldValue } = event as unknown as { diff?: unknown; oldValue?: unknown }
  // A config that just appeared (the initial load): its diff would be the whole file again.
  if (!Array.isArray(diff) || ('oldValue' in event && oldValue === undefined)) return []
  const entries = diff.filter((d): d is DiffEntryLike => typeof d === 'object' && d !== null && typeof (d as DiffEntryLike).path === 'string')
  const lines = entries.slice(0, MAX_DIFF_LINES).map((d) => {
    const where = d.path || '(whole config)'
    if (d.kind === 'added') return `+ ${where}: ${show(d.newValue)}`
    if (d.kind === 'removed') return `- ${where}: ${show(d.oldValue)}`
    return `~ ${where}: ${show(d.oldValue)} -> ${show(d.newValue)}`
  })
  if (entries.length > MAX_DIFF_LINES) lines.push(`… and ${plural(entries.length - MAX_DIFF_LINES, 'more change')}`)
  return lines
}

function show(value: unknown): string {
  const text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value))
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
