import type { RatedRow } from './stats.js'

const HEADERS = ['case', 'contender', 'median', 'p90', 'ratio', 'n', 'note'] as const

/** Formats a number with a precision that suits its size, so 0.042 ms and 1234 ms both read well. */
export function formatNumber(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return '—'
  const abs = Math.abs(value)
  const digits = abs === 0 || Number.isInteger(value) ? 0 : abs < 1 ? 3 : abs < 10 ? 2 : abs < 100 ? 1 : 0
  const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  return unit ? `${text} ${unit}` : text
}

function formatRatio(row: RatedRow): string {
  if (row.baseline) return '1.00 (base)'
  if (row.ratio === null) return '—'
  if (row.ratio < 0.1) return `${row.ratio.toPrecision(2)}x`
  return `${row.ratio < 10 ? row.ratio.toFixed(2) : row.ratio < 100 ? row.ratio.toFixed(1) : row.ratio.toFixed(0)}x`
}

/** The cells of one row, in HEADERS order. */
function cells(row: RatedRow): string[] {
  return [
    row.case,
    row.contender,
    formatNumber(row.median, row.unit),
    formatNumber(row.p90, row.unit),
    formatRatio(row),
    String(row.samples),
    row.note ?? '',
  ]
}

/**
 * Renders every row as one Markdown table (readable in a terminal, pasteable into a README).
 * Consecutive rows of the same case show the case name once.
 */
export function renderTable(rows: readonly RatedRow[]): string {
  const body = rows.map((row, i) => {
    const line = cells(row)
    if (i > 0 && rows[i - 1]?.case === row.case) line[0] = ''
    return line.map((cell) => cell.replaceAll('|', '\\|'))
  })
  const widths = HEADERS.map((h, c) => Math.max(h.length, ...body.map((line) => (line[c] ?? '').length)))
  const numeric = new Set([2, 3, 4, 5])
  const pad = (text: string, c: number) => (numeric.has(c) ? text.padStart(widths[c] ?? 0) : text.padEnd(widths[c] ?? 0))
  const format = (line: readonly string[]) => `| ${line.map((cell, c) => pad(cell, c)).join(' | ')} |`
  const rule = `|${widths.map((w, c) => (numeric.has(c) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`
  return [format(HEADERS), rule, ...body.map(format)].join('\n')
}
