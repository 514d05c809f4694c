#!/usr/bin/env node
// The `hotreload` bin. It is committed (the CLI itself is built into dist/), so npm links it
// into node_modules/.bin at install time even in a fresh clone of the repository, where dist/
// does not exist yet and npx would otherwise look for "hotreload" on the registry.
import { existsSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

// `npx hotreload` inside an npm workspace runs with the workspace package as its working
// directory, not the directory it was typed in (npm's INIT_CWD). Go back to the nearest
// directory from there up that holds a hotreload config, so examples/custom-handler/project works.
const typedIn = process.env.INIT_CWD
if (process.env.npm_command === 'exec' && typedIn && typedIn !== process.cwd() && !relative(process.cwd(), typedIn).startsWith('..')) {
  for (let dir = typedIn; dir.startsWith(process.cwd()); dir = dirname(dir)) {
    if (['hotreload.config.ts', 'hotreload.config.mts', 'hotreload.config.js', 'hotreload.config.mjs'].some((f) => existsSync(join(dir, f)))) {
      process.chdir(dir)
      break
    }
    if (dir === process.cwd()) break
  }
}

const cli = new URL('../dist/cli.js', import.meta.url)
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write(`hotreload: ${fileURLToPath(cli)} is missing: the package is not built. Run \`npm run build\` (in the repository root), then try again.\n`)
  process.exit(2)
}
const { main } = await import(cli.href)
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`hotreload: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(2)
  },
)
