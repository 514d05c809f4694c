import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format'
import { createHotReload, metricsHandler, type HotReload } from '@hotreload/core'
import { makeTempProject, waitFor } from '../../../test/helpers/index.js'
import { outcomesPlugin } from './outcomes-plugin.js'

const STAGES = ['detect', 'validate', 'prepare', 'apply', 'commit', 'notify']

async function scrape(reloader: HotReload): Promise<Map<string, MetricFamily>> {
  return new Map(parsePrometheusTextFormat(await reloader.metrics()).map((f) => [f.name, f]))
}

function family(metrics: Map<string, MetricFamily>, name: string): MetricFamily {
  const f = metrics.get(name)
  assert.ok(f, `metric ${name} is exposed (have: ${[...metrics.keys()].join(', ')})`)
  return f
}

/** The value of a counter or gauge sample whose labels include `labels`. */
function value(metrics: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  const sample = family(metrics, name).metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v))
  return Number(sample?.value ?? 0)
}

function histogramCount(metrics: Map<string, MetricFamily>, name: string): number {
  const f = family(metrics, name)
  assert.equal(f.type, 'HISTOGRAM')
  return Number(f.metrics[0]?.count ?? 0)
}

const byStatus = (metrics: Map<string, MetricFamily>) =>
  Object.fromEntries((family(metrics, 'hotreload_transactions_total').metrics ?? []).map((s) => [s.labels?.['status'], Number(s.value)]))

test('the transaction counters move by one for each outcome, with the duration, version and last applied time', { timeout: 60_000 }, async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"n":1}' })
  t.after(() => project.cleanup())
  const reloader = await createHotReload({ root: project.root, include: ['conf/**/*'], watch: false, audit: false, plugins: [outcomesPlugin()] })
  t.after(() => reloader.close())

  let before = await scrape(reloader)
  assert.equal(byStatus(before)['applied'], 1, 'the initial load')
  assert.equal(value(before, 'hotreload_version'), 1)
  assert.equal(value(before, 'hotreload_files_watched'), 1)
  const firstApplied = value(before, 'hotreload_last_applied_timestamp_seconds')
  assert.ok(Math.abs(firstApplied - Date.now() / 1000) < 60, `last applied ${firstApplied} is now`)

  const steps: [string, string, { dryRun?: boolean }?][] = [
    ['{"problem":"bad"}', 'rejected'],
    ['{"abort":"voted no"}', 'aborted'],
    ['{"fail":"broke"}', 'rolled-back'],
    ['{"n":1}', 'unchanged'],
    ['{"n":2}', 'dry-run', { dryRun: true }],
    ['{"n":2}', 'applied'],
  ]
  for (const [content, status, options] of steps) {
    await project.write('conf/a.json', content)
    assert.equal((await reloader.reload({ paths: ['conf/a.json'], ...options })).status, status)
    const after = await scrape(reloader)
    const moved = Object.entries(byStatus(after)).filter(([s, n]) => n !== (byStatus(before)[s] ?? 0))
    assert.deepEqual(moved, [[status, (byStatus(before)[status] ?? 0) + 1]], `only ${status} moved`)
    assert.equal(histogramCount(after, 'hotreload_transaction_duration_seconds'), histogramCount(before, 'hotreload_transaction_duration_seconds') + 1)
    before = after
  }
  assert.equal(value(before, 'hotreload_version'), 2)
  // Every stage that ran was timed: the initial load and the last edit applied (detect to
  // commit), and detect ran in all but the unchanged one.
  assert.equal(histogramCount(before, 'hotreload_commit_duration_seconds'), 2)
  assert.equal(histogramCount(before, 'hotreload_detect_duration_seconds'), 6)
  assert.equal(histogramCount(before, 'hotreload_prepare_duration_seconds'), 4, 'applied twice, aborted, rolled back')
  assert.ok(value(before, 'hotreload_plugin_validate_seconds_total', { plugin: 'outcomes' }) > 0)
  // Notify runs after the record, unawaited: timed on the hook, once per finished transaction
  // (all but the unchanged one), whole and per plugin.
  const notified = await waitFor(async () => {
    const m = await scrape(reloader)
    return histogramCount(m, 'hotreload_notify_duration_seconds') === 6 ? m : undefined
  }, { message: 'six notify stages timed' })
  assert.ok(value(notified, 'hotreload_plugin_notify_seconds_total', { plugin: 'outcomes' }) > 0)
  // The end of the last applied transaction, as its record tells it.
  const last = reloader.history().filter((r) => r.status === 'applied').at(-1)
  assert.ok(last)
  assert.equal(value(before, 'hotreload_last_applied_timestamp_seconds'), (Date.parse(last.startedAt) + last.durationMs) / 1000)
  for (const status of ['applied', 'rejected', 'rolled-back', 'aborted', 'dry-run', 'unchanged']) assert.ok(status in byStatus(before), `${status} is exposed at 0 too`)
})

test('raw events, batches and suppressed no-ops follow the watcher', { timeout: 60_000 }, async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"n":1}' })
  t.after(() => project.cleanup())
  const reloader = await createHotReload({ root: project.root, include: ['conf/**/*'], debounceMs: 20, audit: false, plugins: [outcomesPlugin()] })
  t.after(() => reloader.close())
  await project.save('conf/a.json', '{"n":2}')
  await waitFor(() => reloader.status().version === 2, { message: 'the edit applied' })
  // The same bytes again: an event, a batch, and a suppressed no-op.
  await project.save('conf/a.json', '{"n":2}')
  await waitFor(() => reloader.status().counters.suppressed > 0, { message: 'a suppressed no-op' })
  const metrics = await scrape(reloader)
  const { counters } = reloader.status()
  assert.ok(counters.rawEvents > 0 && counters.batches >= 2)
  assert.equal(value(metrics, 'hotreload_raw_events_total'), reloader.status().counters.rawEvents)
  assert.equal(value(metrics, 'hotreload_batches_total'), reloader.status().counters.batches)
  assert.equal(value(metrics, 'hotreload_suppressed_total'), reloader.status().counters.suppressed)
  assert.equal(family(metrics, 'hotreload_raw_events_total').type, 'COUNTER')
})

test('a scrape over HTTP through metricsHandler parses as Prometheus text, labelled by plugin and status only', { timeout: 60_000 }, async (t) => {
  const project = await makeTempProject({ 'conf/a.json': '{"n":1}', 'conf/b.json': '{"n":1}' })
  t.after(() => project.cleanup())
  const reloader = await createHotReload({ root: project.root, include: ['conf/**/*'], watch: false, audit: false, plugins: [outcomesPlugin()] })
  t.after(() => reloader.close())
  // A second instance in the same process (on a root of its own: one writer per root): its own
  // registry, its own numbers.
  const otherProject = await makeTempProject({ 'conf/a.json': '{"n":1}' })
  const other = await createHotReload({ root: otherProject.root, include: ['conf/a.json'], watch: false, audit: false })
  t.after(async () => {
    await other.close()
    await otherProject.cleanup()
  })
  await project.write('conf/b.json', '{"problem":"no"}')
  await reloader.reload({ paths: ['conf/b.json'] })

  const server = createServer(metricsHandler(reloader))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`

  const response = await fetch(url)
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  const metrics = new Map(parsePrometheusTextFormat(await response.text()).map((f) => [f.name, f]))
  assert.equal(byStatus(metrics)['applied'], 1)
  assert.equal(byStatus(metrics)['rejected'], 1)
  assert.equal(value(metrics, 'hotreload_files_watched'), 2)
  assert.equal(histogramCount(metrics, 'hotreload_transaction_duration_seconds'), 2)
  for (const stage of STAGES) {
    assert.equal(family(metrics, `hotreload_${stage}_duration_seconds`).type, 'HISTOGRAM')
    assert.equal(family(metrics, `hotreload_plugin_${stage}_seconds_total`).type, 'COUNTER')
  }
  const labels = new Set([...metrics.values()].flatMap((f) => f.metrics.flatMap((s) => Object.keys(s.labels ?? {}))))
  for (const label of labels) assert.ok(['status', 'plugin'].includes(label), `label "${label}" is bounded`)
  assert.ok(!(await reloader.metrics()).includes('conf/'), 'no path in any series')

  const otherMetrics = await scrape(other)
  assert.equal(byStatus(otherMetrics)['rejected'], 0)
  assert.equal(value(otherMetrics, 'hotreload_files_watched'), 1)

  assert.equal((await fetch(url, { method: 'POST' })).status, 405)
  const head = await fetch(url, { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal(await head.text(), '')
})
