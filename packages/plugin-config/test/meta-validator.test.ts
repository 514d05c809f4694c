// The draft-07 meta-schema validator generated ahead of time (issue 11: ajv compiled it in
// every new SchemaSet): it must be what ajv generates today, and judge schemas as ajv would.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { Type } from '@sinclair/typebox'
import { Ajv } from 'ajv'
import addFormatsPlugin from 'ajv-formats'
import { ConfigOptionsError } from '../src/errors.js'
import { AJV_OPTIONS as SCHEMA_SET_OPTIONS, SchemaSet } from '../src/validate.js'
// @ts-expect-error: a plain .mjs script with no types.
import { AJV_OPTIONS, metaValidatorCode } from '../scripts/meta-validator-code.mjs'

const addFormats = addFormatsPlugin.default

test('src/meta-validator.generated.ts is what the generator writes for the installed ajv (run scripts/generate-meta-validator.mjs if not)', () => {
  const committed = readFileSync(new URL('../src/meta-validator.generated.ts', import.meta.url), 'utf8')
  assert.equal(committed, metaValidatorCode())
})

test('the generator compiles the meta-schema with the options SchemaSet compiles schemas with', () => {
  assert.deepEqual({ ...(AJV_OPTIONS as object) }, { ...SCHEMA_SET_OPTIONS })
})

/** What ajv itself says of `schema` with meta-schema validation on: undefined when it compiles. */
function ajvVerdict(schema: unknown): string | undefined {
  const ajv = new Ajv({ ...(AJV_OPTIONS as object) })
  addFormats(ajv)
  try {
    ajv.compile(schema as object)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

function schemaSetVerdict(schema: unknown): string | undefined {
  try {
    new SchemaSet({ probe: schema as never })
    return undefined
  } catch (error) {
    assert.ok(error instanceof ConfigOptionsError, String(error))
    const prefix = 'the schema for config "probe" does not compile: '
    assert.ok(error.message.startsWith(prefix), error.message)
    return error.message.slice(prefix.length)
  }
}

const SCHEMAS: Record<string, unknown> = {
  'a TypeBox object': Type.Object({ port: Type.Integer({ minimum: 1 }), host: Type.String({ format: 'hostname' }), tags: Type.Array(Type.String()) }),
  'a TypeBox union of literals': Type.Union([Type.Literal('dev'), Type.Literal('prod')]),
  'a misspelt type': { type: 'object', properties: { a: { type: 'strnig' } } },
  'a minimum that is a string': { type: 'object', properties: { a: { type: 'number', minimum: '5' } } },
  'a type list with a repeat (uniqueItems)': { type: ['string', 'string'] },
  'required as a string': { type: 'object', required: 'a' },
  'an unknown keyword (strict mode)': { type: 'string', colour: 'red' },
  'draft-07 named in $schema': { $schema: 'http://json-schema.org/draft-07/schema#', type: 'string' },
  'another draft named in $schema': { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'string' },
  '$schema that is not a string': { $schema: 7, type: 'string' },
  'properties that is an array': { type: 'object', properties: [] },
}

for (const [what, schema] of Object.entries(SCHEMAS)) {
  test(`meta-schema check, ${what}: the plugin accepts or refuses it as ajv's own validateSchema does, with its message`, () => {
    assert.equal(schemaSetVerdict(schema), ajvVerdict(schema))
  })
}

test('the refusals above are refusals: most of the bad schemas do not compile', () => {
  const refused = Object.values(SCHEMAS).filter((schema) => schemaSetVerdict(schema) !== undefined)
  assert.equal(refused.length, 8)
})
