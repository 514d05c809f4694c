import { HotReloadError, toErrorInfo, type ErrorInfo } from './errors.js'
import type { Plugin, Status, StatusReport, StatusReportOptions } from './plugin.js'

/** How long a plugin's `status()` may take by default: a status read must answer even when a store is down. */
export const STATUS_TIMEOUT_MS = 5_000

/**
 * `status()` plus the section of every plugin that has a `status()` method, asked in parallel
 * and each bounded by `timeoutMs`. A plugin that throws, rejects or does not answer in time is
 * listed in `sectionErrors` with why; the others' sections are there all the same, so one store
 * being down (the fleet's Redis) never hides the instance's own status.
 */
export async function collectStatusReport(status: Status, plugins: readonly Plugin[], options: StatusReportOptions = {}): Promise<StatusReport> {
  const timeoutMs = options.timeoutMs ?? STATUS_TIMEOUT_MS
  // Keyed by plugin name (user-chosen): null-prototype, so a plugin named `__proto__` is a key.
  const sections: Record<string, object> = Object.create(null) as Record<string, object>
  const sectionErrors: Record<string, ErrorInfo> = Object.create(null) as Record<string, ErrorInfo>
  await Promise.all(
    plugins.map(async (plugin) => {
      if (typeof plugin.status !== 'function') return
      try {
        const section = await withTimeout(Promise.resolve().then(() => (plugin.status as () => object | Promise<object>).call(plugin)), timeoutMs, plugin.name)
        if (typeof section !== 'object' || section === null) throw new HotReloadError('HR_STATUS_SECTION', `plugin "${plugin.name}" returned ${section === null ? 'null' : typeof section} from status(), not an object`, { plugin: plugin.name, hint: 'A plugin\'s status() resolves with a plain object (JSON-serialisable).' })
        sections[plugin.name] = section
      } catch (error) {
        sectionErrors[plugin.name] = toErrorInfo(error, { plugin: plugin.name, code: 'HR_STATUS_SECTION' })
      }
    }),
  )
  return Object.freeze({ ...status, sections: Object.freeze(sections), sectionErrors: Object.freeze(sectionErrors) })
}

// The timer is cleared as soon as the plugin answers; it keeps the process alive until then, so
// a caller awaiting a silent plugin gets its timeout rather than an event loop that ran dry.
function withTimeout<T>(promise: Promise<T>, timeoutMs: number, plugin: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new HotReloadError('HR_STATUS_TIMEOUT', `plugin "${plugin}" did not answer status() within ${timeoutMs} ms`, {
            plugin,
            hint: 'Check what the plugin reads its status from (a store that is down or slow), or pass a larger timeoutMs.',
          }),
        ),
      timeoutMs,
    )
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
