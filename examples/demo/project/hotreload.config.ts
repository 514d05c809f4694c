// The demo project's hotreload setup: every plugin, plus the example routes handler.
import { defineConfig } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import templates, { handlebars } from '@hotreload/plugin-templates'
import assets from '@hotreload/plugin-assets'
import backup from '@hotreload/plugin-backup'
import { routesHandler } from 'hotreload-routes-handler'
import { Type } from '@sinclair/typebox'

const App = Type.Object({
  name: Type.String({ minLength: 1 }),
  greeting: Type.String(),
  server: Type.Object({ port: Type.Integer({ minimum: 1, maximum: 65535 }), host: Type.String({ default: '127.0.0.1' }) }),
  features: Type.Object({ banner: Type.Boolean({ default: false }) }, { default: {} }),
  apiToken: Type.String(),
})

export default defineConfig({
  debounceMs: 50,
  plugins: [
    config({ schemas: { app: App }, restartRequired: { app: ['server.port'] } }),
    templates({ engine: handlebars() }),
    assets({ outDir: 'public', publicPath: '/assets/' }),
    backup({ keepVersions: 10 }),
    routesHandler().plugin,
  ],
})
