// Where the edits are made: the files here are validated, then proposed to the fleet.
import { defineConfig } from '@hotreload/core'
import config from '@hotreload/plugin-config'
import fleet from '@hotreload/plugin-fleet'
import { Type } from '@sinclair/typebox'

export default defineConfig({
  include: ['config/**'],
  plugins: [
    config({ schemas: { app: Type.Object({ greeting: Type.String({ minLength: 1 }), workers: Type.Integer({ minimum: 1, maximum: 64 }) }) } }),
    fleet({ role: 'proposer', redis: process.env['FLEET_REDIS'] ?? 'redis://127.0.0.1:6379', fleet: 'example', id: 'editor', voteTimeoutMs: 10_000 }),
  ],
})
