// Replies of the Lua scripts and stream entries, turned into typed values.
import type { AbortDetails, Decision, Pointer, StreamEvent } from './types.js'

// cjson encodes an empty Lua table as {}: where an array is expected, {} means [].
export function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : []
}

export function pointer(raw: unknown): Pointer {
  const p = raw as Pointer
  return { ...p, excluded: list(p.excluded) }
}

export function abortDetails(raw: unknown): AbortDetails {
  const a = raw as { code: AbortDetails['code']; nacks?: unknown; silent?: unknown }
  return { code: a.code, nacks: list<AbortDetails['nacks'][number]>(a.nacks).map((n) => ({ ...n, problems: list(n.problems) })), silent: list(a.silent) }
}

export function decision(raw: unknown): Decision {
  const d = raw as Record<string, unknown>
  if (d['state'] === 'open') return { state: 'open', id: String(d['id']), pending: list(d['pending']) }
  if (d['state'] === 'committed') return { state: 'committed', id: String(d['id']), version: Number(d['version']), excluded: list(d['excluded']) }
  if (d['state'] === 'aborted') return { state: 'aborted', id: String(d['id']), version: Number(d['version']), abort: abortDetails(d['abort']) }
  return { state: 'unknown' }
}

/** Parses the fields of one stream entry into an event. */
export function parseStreamEntry(streamId: string, fields: readonly string[]): StreamEvent | undefined {
  const at = fields.indexOf('data')
  if (at < 0 || fields[at + 1] === undefined) return undefined
  const raw = JSON.parse(fields[at + 1] as string) as Record<string, unknown>
  for (const key of ['participants', 'excluded', 'problems']) if (key in raw) raw[key] = list(raw[key])
  if (raw['abort']) raw['abort'] = abortDetails(raw['abort'])
  if (raw['info'] && typeof raw['info'] === 'object') raw['info'] = { labels: {}, ...(raw['info'] as object) }
  return { ...raw, streamId } as unknown as StreamEvent
}

