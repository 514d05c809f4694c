import { styleText } from 'node:util'
import { formatLocated, HotReloadError } from './errors.js'
import type { Problem } from './errors.js'
import type { HotReloadEvent } from './events.js'
import type { Plugin } from './plugin.js'
import type { TransactionRecord } from './record.js'

type Style = Parameters<typeof styleText>[0]

/**
 * Prints events for people (short lines, coloured on a TTY, each reload with its duration) or
 * for programs (`--json`: one event per line, the same union the library emits). Plugins'
 * `redactEvent` runs first either way, so secrets never reach a terminal or a log.
 */
export function createPrinter({ json, color }: { json: boolean; color: boolean }) {
  let plugins: readonly Plugin[] = []
  const paint = (style: Style, text: string) => (color ? styleText(style, text) : text)
  const out = (line: string) => process.stdout.write(`${line}\n`)
  const err = (line: string) => process.stderr.write(`${line}\n`)
  const redact = (event: HotReloadEvent) => plugins.reduce((e, p) => (p.redactEvent ? p.redactEvent(e) : e), event)

  const problemLine = (p: Problem) =>
    `  ${paint('red', '✗')} ${formatLocated(p)}${p.keyPath ? paint('dim', ` [${p.keyPath}]`) : ''}${paint('dim', ` (${p.plugin})`)}`
  const changeList = (e: { changes: readonly { kind: string; path: string; from?: string }[] }) =>
    e.changes.map((c) => (c.from ? `${c.from} → ${c.path}` : `${c.path}${c.kind === 'modified' ? '' : ` (${c.kind})`}`)).join(', ')

  function human(event: HotReloadEvent): void {
    switch (event.type) {
      case 'ready':
        out(paint('cyan', `hotreload ready: ${event.files} files watched, version ${event.version} (${event.durationMs} ms)`))
        return
      case 'applied':
        out(`${paint('green', '✓')} v${event.version} ${changeList(event)} ${paint('dim', `in ${event.durationMs} ms${event.plugins.length ? ` [${event.plugins.join(', ')}]` : ''}`)}`)
        return
      case 'rejected':
        out(`${paint('red', '✗ rejected')} ${changeList(event)}: ${event.problems.length} problem${event.problems.length === 1 ? '' : 's'}, still serving v${event.version} ${paint('dim', `(${event.durationMs} ms)`)}`)
        event.problems.forEach((p) => out(problemLine(p)))
        return
      case 'rolled-back':
        out(`${paint('yellow', '↺ rolled back')} ${changeList(event)}: ${formatLocated(event.error)}${event.error.plugin ? ` (${event.error.plugin})` : ''}, still serving v${event.version}`)
        return
      case 'aborted':
        out(`${paint('yellow', '⊘ aborted')} ${changeList(event)}: ${event.abort.message}${event.abort.plugin ? ` (${event.abort.plugin})` : ''}, still serving v${event.version}`)
        return
      case 'dry-run':
        out(`${paint('blue', '◌ dry run')} would apply ${changeList(event) || 'nothing'}${event.problems.length ? `, but ${event.problems.length} problem(s):` : ''}`)
        event.problems.forEach((p) => out(problemLine(p)))
        return
      case 'resolved':
        out(`${paint('green', '✓ resolved')} ${event.paths.join(', ')}: back to the applied content, serving v${event.version}`)
        return
      case 'error':
        err(`${paint('red', 'error')} ${formatLocated(event.error)}`)
        return
      default:
        out(`  ${paint('dim', describePluginEvent(event))}`)
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
      if (!json) err(paint('dim', message))
    },
    summary(ok: boolean, last: TransactionRecord | undefined) {
      if (json) return
      const files = last?.changes.length ?? 0
      out(ok ? paint('green', `✓ valid (${files} files checked)`) : paint('red', `✗ invalid: ${last?.problems.length ?? 0} problem(s)${last?.error ? `: ${last.error.message}` : ''}`))
    },
    /** One clear message for an error that stops the command. */
    fatal(error: unknown, context = 'hotreload') {
      const text = error instanceof HotReloadError ? formatLocated(error) : error instanceof Error ? error.message : String(error)
      if (json) {
        const code = error instanceof HotReloadError ? error.code : 'HR_FATAL'
        out(JSON.stringify({ type: 'error', version: 0, paths: [], time: new Date().toISOString(), error: { code, message: text } }))
      } else {
        err(`${paint('red', `${context}:`)} ${text}`)
      }
    },
  }
}

function describePluginEvent(event: HotReloadEvent): string {
  const e = event as unknown as Record<string, unknown>
  const detail = ['name', 'names', 'path']
    .map((k) => e[k])
    .filter((v) => v !== undefined)
    .map((v) => (Array.isArray(v) ? v.join(', ') : String(v)))
    .join(' ')
  return `${event.type}${detail ? ` ${detail}` : ` ${event.paths.join(', ')}`}`
}
