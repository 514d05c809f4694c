import type { TSchema } from '@sinclair/typebox'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsPlugin from 'ajv-formats'
import { ConfigOptionsError, ConfigSchemaError } from './errors.js'
import generatedDraft07 from './meta-validator.generated.js'
import { formatKeyPath, pointerToPath, type KeySegment } from './key-path.js'
import { locateInLayers, type ConfigLayer } from './merge.js'

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module.
const addFormats = addFormatsPlugin.default

/**
 * The options every config schema is compiled with. scripts/meta-validator-code.mjs generates
 * the meta-schema check with the same ones (a test compares the two).
 */
export const AJV_OPTIONS = Object.freeze({ allErrors: true, useDefaults: true, verbose: true, strict: true, strictTypes: false })

/**
 * The schemas of every named config, each compiled once by ajv when the plugin is created:
 * all errors are collected, `default` values are filled in, and the usual string formats
 * (`uri`, `email`, `date-time`, `hostname`, ...) are checked.
 */
export class SchemaSet {
  private readonly validators = new Map<string, ValidateFunction>()

  /** Throws a `ConfigOptionsError` naming the config whose schema ajv cannot compile. */
  constructor(schemas: Readonly<Record<string, TSchema>>) {
    // validateSchema off: ajv would compile the draft-07 meta-schema in every new instance
    // (40-60 ms, most of creating the plugin, issue 11). Its own validator of it, generated
    // ahead (meta-validator.generated.ts), checks each schema instead, with the same errors.
    const ajv = new Ajv({ ...AJV_OPTIONS, validateSchema: false })
    addFormats(ajv)
    for (const [name, schema] of Object.entries(schemas)) {
      try {
        checkAgainstMetaSchema(ajv, schema)
        this.validators.set(name, ajv.compile(schema))
      } catch (error) {
        throw new ConfigOptionsError(`the schema for config "${name}" does not compile: ${error instanceof Error ? error.message : String(error)}`, {
          hint: 'Build schemas with @sinclair/typebox (Type.Object(...)) or fix the JSON Schema keyword named above.',
          cause: error,
        })
      }
    }
  }

  has(name: string): boolean {
    return this.validators.has(name)
  }

  names(): string[] {
    return [...this.validators.keys()]
  }

  /**
   * Validates `value` against the schema of `name`, filling in defaults in place. Returns one
   * error per broken rule, located in the layer (base or overlay) that wrote the value.
   */
  validate(name: string, value: Record<string, unknown>, layers: readonly ConfigLayer[]): ConfigSchemaError[] {
    const check = this.validators.get(name)
    if (!check || check(value)) return []
    return collapseAlternatives(check.errors ?? []).map((e) => toSchemaError(name, e, layers))
  }
}

/**
 * Throws as ajv's `validateSchema` would: `$schema`, when given, must name draft-07 (the only
 * meta-schema this Ajv knows), and the schema must be valid against it.
 */
function checkAgainstMetaSchema(ajv: Ajv, schema: unknown): void {
  const declared = typeof schema === 'object' && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined
  if (declared !== undefined && typeof declared !== 'string') throw new Error('$schema must be a string')
  if (declared !== undefined && declared.replace(/#$/, '') !== DRAFT_07) throw new Error(`no schema with key or ref "${declared}"`)
  if (!validateDraft07(schema)) throw new Error(`schema is invalid: ${ajv.errorsText(validateDraft07.errors)}`)
}

const DRAFT_07 = 'http://json-schema.org/draft-07/schema'
// The generated function sets `errors` on itself, as every ajv validator does.
const validateDraft07 = generatedDraft07 as ((schema: unknown) => boolean) & { errors?: ErrorObject[] | null }

interface Collapsed {
  readonly error: ErrorObject
  /** For a union of literals: the values allowed. */
  readonly allowed?: unknown[]
  /** For any other union: why each alternative failed, one line each. */
  readonly alternatives?: string[]
}

/**
 * For `anyOf`/`oneOf` ajv reports every failed branch and then the union itself; one problem
 * per value is what a person wants, so branch errors fold into the union's. A union of
 * literals (TypeBox's `Type.Union([Type.Literal(...)])`) reads as "must be one of ..."; other
 * unions keep each branch's reasons for the hint.
 */
function collapseAlternatives(errors: readonly ErrorObject[]): Collapsed[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
  const inside = (e: ErrorObject, u: ErrorObject): boolean =>
    e !== u && e.schemaPath.startsWith(`${u.schemaPath}/`) && (e.instancePath === u.instancePath || e.instancePath.startsWith(`${u.instancePath}/`))
  const out: Collapsed[] = []
  for (const error of errors) {
    if (unions.some((u) => inside(error, u))) continue
    if (!unions.includes(error)) {
      out.push({ error })
      continue
    }
    const branches = errors.filter((e) => inside(e, error))
    if (branches.length > 0 && branches.every((b) => b.keyword === 'const' && b.instancePath === error.instancePath)) {
      out.push({ error, allowed: branches.map((b) => b.params['allowedValue'] as unknown) })
      continue
    }
    const byBranch = new Map<string, string[]>()
    for (const b of branches) {
      const index = b.schemaPath.slice(error.schemaPath.length + 1).split('/')[0] ?? ''
      byBranch.set(index, [...(byBranch.get(index) ?? []), describe(b)])
    }
    out.push({ error, alternatives: [...byBranch.values()].map((reasons) => reasons.join(', ')) })
  }
  return out
}

function describe(error: ErrorObject): string {
  const path = pointerToPath(error.instancePath)
  if (error.keyword === 'required') return `${formatKeyPath([...path, String(error.params['missingProperty'])])} is required`
  return `${label(path)} ${error.message ?? 'is invalid'}`
}

function toSchemaError(name: string, { error, allowed, alternatives }: Collapsed, layers: readonly ConfigLayer[]): ConfigSchemaError {
  const base = pointerToPath(error.instancePath)
  const params = error.params as Record<string, unknown>
  let keyPath: KeySegment[] = base
  let message: string
  let hint: string
  switch (error.keyword) {
    case 'required': {
      const missing = String(params['missingProperty'])
      keyPath = [...base, missing]
      message = `${formatKeyPath(keyPath)} is required`
      hint = `Add "${missing}" ${base.length ? `under "${formatKeyPath(base)}"` : 'at the top level'} of config "${name}".`
      break
    }
    case 'additionalProperties': {
      const extra = String(params['additionalProperty'])
      keyPath = [...base, extra]
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {})
      message = `${formatKeyPath(keyPath)} is not an allowed key`
      hint = known.length ? `Remove it or fix its spelling; allowed keys here: ${known.join(', ')}.` : 'Remove it.'
      break
    }
    case 'enum':
      allowed = params['allowedValues'] as unknown[]
      message = `${label(keyPath)} must be one of ${list(allowed)}`
      hint = `Use one of ${list(allowed)}.`
      break
    case 'type':
      message = `${label(keyPath)} ${error.message ?? 'has the wrong type'}`
      hint = `Write a value of type ${String(params['type'])} here.`
      break
    case 'format':
      message = `${label(keyPath)} ${error.message ?? 'has the wrong format'}`
      hint = `Write a valid ${String(params['format'])}.`
      break
    default:
      if (allowed) {
        message = `${label(keyPath)} must be one of ${list(allowed)}`
        hint = `Use one of ${list(allowed)}.`
      } else if (alternatives) {
        message = `${label(keyPath)} matches none of the ${alternatives.length} allowed shapes`
        hint = `Make it match one of them. ${alternatives.map((reasons, i) => `Shape ${i + 1}: ${reasons}.`).join(' ')}`
      } else {
        message = `${label(keyPath)} ${error.message ?? 'is invalid'}`
        hint = `Change the value so it satisfies the schema's "${error.keyword}" rule.`
      }
  }
  const where = locateInLayers(layers, keyPath)
  return new ConfigSchemaError(error.keyword, `config "${name}": ${message} (schema rule "${error.keyword}")`, {
    path: where?.path,
    line: where?.position?.line,
    column: where?.position?.column,
    keyPath: formatKeyPath(keyPath),
    hint,
  })
}

function label(path: readonly KeySegment[]): string {
  return path.length ? formatKeyPath(path) : 'the top level'
}

function list(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ')
}
