import { assetsPlugin } from './plugin.js'

export { assetsPlugin }
export { AssetsOptionsError, AssetReadError, ManifestWriteError, AssetCopyError, UnknownAssetError } from './errors.js'
export type { AssetsPlugin, AssetsPluginOptions, AssetStats, AssetUpdatedEvent, Manifest, ManifestEntry } from './types.js'
export default assetsPlugin
