import type { CoreEventMap } from './types.js'

/** The core's event types, as chokidar lists its EVENTS: a frozen tuple with a derived type. */
export const EVENT_TYPES = Object.freeze(['ready', 'applied', 'rejected', 'rolled-back', 'dry-run', 'error'] as const)

// Fails to compile if the list and the CoreEventMap drift apart.
type Listed = (typeof EVENT_TYPES)[number]
const exhaustive: [Exclude<keyof CoreEventMap, Listed>, Exclude<Listed, keyof CoreEventMap>] extends [never, never] ? true : false = true
void exhaustive
