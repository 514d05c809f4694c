// One app instance of the fleet. run-fleet.mjs starts three of these with `hotreload --json`,
// each with its own id, labels and root; a canary may run a stricter schema.
import { defineConfig } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import fleet from '@hotreload/plugin-fleet'
import { Type } from '@sinclair/typebox'

const env = process.env
const maxWorkers = Number(env['FLEET_MAX_WORKERS'] ?? 64)

export default defineConfig({
  plugins: [
    config({ schemas: { app: Type.Object({ greeting: Type.String({ minLength: 1 }), workers: Type.Integer({ minimum: 1, maximum: maxWorkers }) }) } }),
    fleet({
      role: 'member',
      redis: env['FLEET_REDIS'] ?? 'redis://127.0.0.1:6379',
      fleet: 'example',
      id: env['FLEET_ID'] ?? 'member',
      labels: JSON.parse(env['FLEET_LABELS'] ?? '{}') as Record<string, string>,
      leaseMs: 3000,
    }),
  ],
})
