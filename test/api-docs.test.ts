// The API reference (npm run docs, typedoc) is generated from the JSDoc: every symbol a package
// exports must have a description, or the reference has an empty entry.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { repoRoot } from './helpers/cli.js'

interface Comment {
  summary?: { text: string }[]
}
interface Reflection {
  id: number
  name: string
  kind: number
  comment?: Comment
  signatures?: { comment?: Comment }[]
  getSignature?: { comment?: Comment }
  type?: { declaration?: { signatures?: { comment?: Comment }[] } }
  target?: number
  children?: Reflection[]
}

const REFERENCE = 4194304 // ReflectionKind.Reference: `export default configPlugin` and re-exports

test('every exported symbol of every package has a description in the generated API reference', { timeout: 400_000 }, async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'hotreload-docs-'))
  t.after(() => rm(out, { recursive: true, force: true }))
  const json = join(out, 'api.json')
  await promisify(execFile)(join(repoRoot, 'node_modules/.bin/typedoc'), ['--out', join(out, 'html'), '--json', json, '--logLevel', 'Error'], { cwd: repoRoot, timeout: 380_000 })
  const project = JSON.parse(await readFile(json, 'utf8')) as Reflection
  const byId = new Map<number, Reflection>()
  const index = (r: Reflection) => {
    byId.set(r.id, r)
    r.children?.forEach(index)
  }
  index(project)
  const text = (c?: Comment) => (c?.summary ?? []).map((p) => p.text).join('').trim()
  const described = (r: Reflection): boolean =>
    r.kind === REFERENCE && r.target !== undefined && byId.has(r.target)
      ? described(byId.get(r.target) as Reflection)
      : Boolean(text(r.comment) || r.signatures?.some((s) => text(s.comment)) || text(r.getSignature?.comment) || r.type?.declaration?.signatures?.some((s) => text(s.comment)))
  const packages = project.children ?? []
  assert.deepEqual(packages.map((p) => p.name).sort(), ['@hotreload/core', '@hotreload/plugin-assets', '@hotreload/plugin-backup', '@hotreload/plugin-config', '@hotreload/plugin-templates'])
  const missing = packages.flatMap((p) => (p.children ?? []).filter((r) => !described(r)).map((r) => `${p.name}: ${r.name}`))
  assert.deepEqual(missing, [], 'exports without a JSDoc description')
  assert.ok(packages.every((p) => (p.children?.length ?? 0) > 3), 'each package has its exports in the reference')
})
