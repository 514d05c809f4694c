// Loaded by the CLI (npx hotreload check) and imported by server.ts: one module, so the server
// reads the very plugins that are applied.
import { defineConfig } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import templates, { handlebars } from '@hotreload/plugin-templates'
import assets from '@hotreload/plugin-assets'
import { Type } from '@sinclair/typebox'

export const configs = config({
  schemas: {
    site: Type.Object({
      title: Type.String({ minLength: 1 }),
      message: Type.String(),
      port: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
    }),
  },
  restartRequired: { site: ['port'] },
})
export const views = templates({ engine: handlebars() })
// Fingerprinted copies go under .hotreload/ (ignored by git), served at /assets/.
export const files = assets({ outDir: '.hotreload/public', publicPath: '/assets/' })

export default defineConfig({ plugins: [configs, views, files] })
