export { backupPlugin, backupPlugin as default } from './plugin.js'
export * from './errors.js'
export type * from './types.js'
export type * from './events.js'
