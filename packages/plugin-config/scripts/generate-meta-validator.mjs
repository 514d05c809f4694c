// Writes src/meta-validator.generated.ts (see meta-validator-code.mjs). Run it after upgrading ajv.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { metaValidatorCode } from './meta-validator-code.mjs'

const target = fileURLToPath(new URL('../src/meta-validator.generated.ts', import.meta.url))
writeFileSync(target, metaValidatorCode())
console.log(`wrote ${target}`)
