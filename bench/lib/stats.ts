/**
 * Summary statistics and the row shape every bench case produces. Plugin benchmarks
 * (templates-render.ts, assets-manifest.ts) return `BenchRow[]` too, so one table holds them all.
 */

/** One line of the results table: one contender in one case. */
export interface BenchRow {
  /** The case, e.g. `latency: one save`; rows of a case are compared with its baseline. */
  readonly case: string
  readonly contender: string
  /** Unit of `median` and `p90`: `ms`, `MB`, `count`, `MB/s`, ... */
  readonly unit: string
  readonly median: number | null
  readonly p90: number | null
  /** Number of samples behind median and p90. */
  readonly samples: number
  /** True for the row the other rows of the same case are divided by. */
  readonly baseline?: boolean
  /** Free text shown in the table's last column: correctness, counts, failures. */
  readonly note?: string
}

/** A row with its ratio to the baseline of its case filled in (null when undefined). */
export interface RatedRow extends BenchRow {
  readonly ratio: number | null
}

/** The value below which `q` (0..1) of the samples fall, linear interpolation between ranks. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const rank = (sorted.length - 1) * q
  const lower = Math.floor(rank)
  const upper = Math.ceil(rank)
  const lo = sorted[lower] as number
  const hi = sorted[upper] as number
  return lo + (hi - lo) * (rank - lower)
}

export function median(values: readonly number[]): number | null {
  return quantile(values, 0.5)
}

export function p90(values: readonly number[]): number | null {
  return quantile(values, 0.9)
}

/**
 * `value / baseline`, or null when either is missing or the baseline is zero (a ratio to
 * nothing means nothing; the table prints a dash).
 */
export function ratio(value: number | null, baseline: number | null): number | null {
  if (value === null || baseline === null || baseline === 0) return null
  return value / baseline
}

/** Builds a row from raw samples. */
export function summarize(
  caseName: string,
  contender: string,
  unit: string,
  samples: readonly number[],
  extra: { baseline?: boolean; note?: string } = {},
): BenchRow {
  return {
    case: caseName,
    contender,
    unit,
    median: median(samples),
    p90: p90(samples),
    samples: samples.length,
    ...(extra.baseline ? { baseline: true } : {}),
    ...(extra.note ? { note: extra.note } : {}),
  }
}

/**
 * Fills in every row's ratio against the baseline row of its case. A case without a
 * baseline row gets null ratios rather than an arbitrary reference.
 */
export function rate(rows: readonly BenchRow[]): RatedRow[] {
  const baselines = new Map<string, BenchRow>()
  for (const row of rows) if (row.baseline && !baselines.has(row.case)) baselines.set(row.case, row)
  return rows.map((row) => ({ ...row, ratio: ratio(row.median, baselines.get(row.case)?.median ?? null) }))
}
