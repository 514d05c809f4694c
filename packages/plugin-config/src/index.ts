import { configPlugin } from './plugin.js'

export { configPlugin }
export default configPlugin
export type { ConfigChangedEvent, ConfigName, ConfigPlugin, ConfigPluginOptions, ConfigSchemas, ConfigStream, ConfigValue, DeepReadonly } from './types.js'
export type { ConfigDiff, DiffEntry, DiffKind } from './diff.js'
export { diffValues } from './diff.js'
export { DEFAULT_REDACT_PATTERN, REDACTED, formatDiff, redact, redactDiff } from './redact.js'
export { DEFAULT_CONFIG_FILES, DEFAULT_MAX_ALIAS_COUNT, DEFAULT_MAX_FILE_BYTES } from './options.js'
export * from './errors.js'
