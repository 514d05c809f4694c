// A user's project using the routes handler as an installed package.
import { defineConfig } from '@hotreload/core'
import { routesHandler } from 'hotreload-routes-handler'

export const routes = routesHandler()

export default defineConfig({
  plugins: [routes.plugin],
})
