import type { IncomingMessage, ServerResponse } from 'node:http'
import * as prom from 'prom-client'
import type { HotReload, Status } from './plugin.js'
import { STAGES, type StageName, type TransactionRecord, type TransactionStatus } from './record.js'

type Prom = typeof prom

/** What the metrics read at scrape time: the instance's status and counters. */
export interface MetricsSource {
  status(): Status
}

/** The instance's metrics. Internal: the kernel owns one, `reloader.metrics()` renders it. */
export interface ReloadMetrics {
  /** Counts and times one finished transaction. Cheap: a few map updates, no I/O. */
  observe(record: TransactionRecord): void
  /**
   * Times a stage the record cannot hold: notify runs after the record is made. `plugin`
   * for one tap's time, without it for the whole stage.
   */
  observeStage(stage: StageName, ms: number, plugin?: string): void
  /** The Prometheus text exposition format of every metric of this instance. */
  text(): Promise<string>
}

// Stage and transaction times are milliseconds to seconds: 0.5 ms (a no-op) to 10 s (the
// default stage time limit).
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
// Pre-created at 0, so a rate() over each works before its first transaction.
const STATUSES: readonly TransactionStatus[] = ['applied', 'rejected', 'rolled-back', 'aborted', 'dry-run', 'unchanged']

/**
 * Creates the metrics of one instance on a registry of its own (never prom-client's global one,
 * so two instances in a process, or a user's own metrics, never collide). prom-client is
 * imported statically: a dynamic import() of it, started beside the initial scan to save its
 * ~0.1 s load, stalled for minutes now and then under the tsx loader on a loaded machine.
 */
export function createMetrics(source: MetricsSource): ReloadMetrics {
  const built = build(prom, source)
  return {
    observe: built.observe,
    observeStage: built.observeStage,
    text: () => built.registry.metrics(),
  }
}

function build(prom: Prom, source: MetricsSource): { registry: InstanceType<Prom['Registry']> } & Omit<ReloadMetrics, 'text'> {
  const registry = new prom.Registry()
  const registers = [registry]
  // Labels are a status or a plugin name: bounded sets. Never a path, which would make one
  // series per file.
  const transactions = new prom.Counter({
    name: 'hotreload_transactions_total',
    help: 'Transactions finished, by status (applied, rejected, rolled-back, aborted, dry-run, unchanged).',
    labelNames: ['status'] as const,
    registers,
  })
  for (const status of STATUSES) transactions.labels(status).inc(0)
  // Histograms carry no label: one per stage, so every consumer of the text format (some
  // parsers fold the series of a labelled histogram together) reads each one whole.
  const duration = new prom.Histogram({
    name: 'hotreload_transaction_duration_seconds',
    help: 'Time from the start of a transaction to its record, whatever its status.',
    buckets: BUCKETS,
    registers,
  })
  const stages = new Map<string, InstanceType<Prom['Histogram']>>()
  const pluginStages = new Map<string, InstanceType<Prom['Counter']>>()
  for (const stage of STAGES) {
    stages.set(stage, new prom.Histogram({ name: `hotreload_${stage}_duration_seconds`, help: `Time spent in the ${stage} stage of a transaction.`, buckets: BUCKETS, registers }))
    // Per plugin, the time its taps took: a counter of seconds (rate() over it against
    // hotreload_transactions_total gives the mean), labelled by plugin only.
    pluginStages.set(stage, new prom.Counter({ name: `hotreload_plugin_${stage}_seconds_total`, help: `Time each plugin's ${stage} taps took, summed.`, labelNames: ['plugin'], registers }))
  }
  let lastApplied = 0
  const counters = () => source.status().counters
  new prom.Gauge({
    name: 'hotreload_files_watched',
    help: 'Files currently known and watched.',
    registers,
    collect() {
      this.set(source.status().files)
    },
  })
  new prom.Gauge({
    name: 'hotreload_version',
    help: 'The version of the last committed transaction.',
    registers,
    collect() {
      this.set(source.status().version)
    },
  })
  new prom.Gauge({
    name: 'hotreload_last_applied_timestamp_seconds',
    help: 'Unix time the last applied transaction finished (0 before one applied in this process).',
    registers,
    collect() {
      this.set(lastApplied)
    },
  })
  // The kernel counts these already; the counters mirror its numbers at scrape time.
  const mirror = (name: string, help: string, read: () => number) =>
    new prom.Counter({
      name,
      help,
      registers,
      collect() {
        this.reset()
        this.inc(read())
      },
    })
  mirror('hotreload_raw_events_total', 'File events received from the watcher, before debouncing.', () => counters().rawEvents)
  mirror('hotreload_batches_total', 'Debounced batches flushed to the transaction queue.', () => counters().batches)
  mirror('hotreload_suppressed_total', 'Paths whose event was a no-op (same bytes, a touch, a create and delete).', () => counters().suppressed)

  const seconds = (ms: number) => ms / 1000
  return {
    registry,
    observe(record) {
      transactions.labels(record.status).inc()
      duration.observe(seconds(record.durationMs))
      for (const [stage, ms] of Object.entries(record.stages)) if (ms !== undefined) stages.get(stage)?.observe(seconds(ms))
      for (const [plugin, times] of Object.entries(record.pluginStages)) {
        for (const [stage, ms] of Object.entries(times)) if (ms !== undefined) pluginStages.get(stage)?.labels(plugin).inc(seconds(ms))
      }
      if (record.status === 'applied') lastApplied = (Date.parse(record.startedAt) + record.durationMs) / 1000
    },
    observeStage(stage, ms, plugin) {
      if (plugin === undefined) stages.get(stage)?.observe(seconds(ms))
      else pluginStages.get(stage)?.labels(plugin).inc(seconds(ms))
    },
  }
}

/**
 * A request handler serving `reloader.metrics()` for a Prometheus scrape, to mount on your own
 * server at the path you choose: `http.createServer(metricsHandler(reloader))`, or
 * `app.get('/metrics', metricsHandler(reloader))` in Express. Answers GET and HEAD with the
 * text exposition format, any other method with 405; a failure is a 500 with its message.
 */
export function metricsHandler(reloader: Pick<HotReload, 'metrics'>): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('metrics: use GET\n')
      return
    }
    reloader.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': prom.prometheusContentType, 'cache-control': 'no-store' })
        res.end(req.method === 'HEAD' ? undefined : text)
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${error instanceof Error ? error.message : String(error)}\n`)
      },
    )
  }
}
