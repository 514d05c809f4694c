import { existsSync } from 'node:fs'
import { mkdir, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { CONFIG_FILE_NAMES } from './config-file.js'

/** The example config `hotreload init` writes when plugin-config is installed; it matches the schema it writes. */
const EXAMPLE_CONFIG_FILE = 'config/app.json'
const EXAMPLE_CONFIG = `{
  "port": 3000,
  "greeting": "Hello"
}
`

/**
 * `hotreload init`: writes a commented `hotreload.config.ts` using the @hotreload plugins that
 * are installed in `dir`, plus one example config file matching the schema it declares. Never
 * overwrites: an existing config file stops it (exit 1), an existing example file is left as it is.
 */
export async function runInit(dir: string): Promise<number> {
  const root = resolve(dir)
  const info = await stat(root).catch(() => undefined)
  if (!info?.isDirectory()) {
    process.stderr.write(`hotreload init: ${root} is not a directory\n`)
    return 2
  }
  for (const name of CONFIG_FILE_NAMES) {
    if (await exists(join(root, name))) {
      process.stderr.write(`hotreload init: ${join(root, name)} already exists; nothing was written (edit it, or delete it to start over)\n`)
      return 1
    }
  }
  const installed = installedIn(root)
  const target = join(root, CONFIG_FILE_NAMES[0] ?? 'hotreload.config.ts')
  try {
    // 'wx': created only if absent, so a file that appeared meanwhile is not overwritten either.
    await writeFile(target, configSource(installed), { flag: 'wx' })
  } catch (error) {
    process.stderr.write(`hotreload init: cannot write ${target}: ${(error as Error).message}\n`)
    return 1
  }
  const used = [...installed].filter((p) => PLUGINS.some((k) => k.pkg === p)).map((p) => p.replace('@hotreload/plugin-', ''))
  process.stdout.write(`created ${relative(process.cwd(), target) || target}${used.length ? ` (plugins: ${used.join(', ')})` : ' (no @hotreload plugin is installed: see the comments in it)'}\n`)
  if (installed.has('@hotreload/plugin-config')) {
    const example = join(root, EXAMPLE_CONFIG_FILE)
    if (await exists(example)) {
      process.stdout.write(`kept ${EXAMPLE_CONFIG_FILE}, which already exists (the schema in hotreload.config.ts expects "port" and "greeting")\n`)
    } else {
      await mkdir(dirname(example), { recursive: true })
      await writeFile(example, EXAMPLE_CONFIG, { flag: 'wx' })
      process.stdout.write(`created ${EXAMPLE_CONFIG_FILE}\n`)
    }
    if (!installed.has('@sinclair/typebox')) process.stdout.write('the config imports @sinclair/typebox: run npm install @sinclair/typebox\n')
  }
  process.stdout.write('next: npx hotreload check, then npx hotreload to watch\n')
  return 0
}

const PLUGINS = [
  { pkg: '@hotreload/plugin-config' },
  { pkg: '@hotreload/plugin-templates' },
  { pkg: '@hotreload/plugin-assets' },
  { pkg: '@hotreload/plugin-backup' },
] as const

// Which packages are installed for the project: node_modules/<name> in it or a directory above,
// where Node's resolution would find them (a package's exports need not list package.json).
function installedIn(root: string): Set<string> {
  const names = [...PLUGINS.map((p) => p.pkg), '@sinclair/typebox', 'handlebars', 'eta']
  const found = new Set<string>()
  for (let dir = root; ; dir = dirname(dir)) {
    for (const name of names) if (existsSync(join(dir, 'node_modules', name, 'package.json'))) found.add(name)
    if (dirname(dir) === dir) return found
  }
}

function configSource(installed: ReadonlySet<string>): string {
  const has = (pkg: string) => installed.has(pkg)
  const engine = has('handlebars') ? 'handlebars' : has('eta') ? 'eta' : undefined
  const imports = ["import { defineConfig } from '@hotreload/core'"]
  const body: string[] = []
  const plugins: string[] = []
  if (has('@hotreload/plugin-config')) {
    imports.push("import config from '@hotreload/plugin-config'", "import { Type } from '@sinclair/typebox'")
    body.push(
      '// Typed configuration: config/app.json (or .yaml, .toml) is checked against this schema',
      '// before it goes live. Your app imports `configs` and reads configs.get(\'app\').greeting.',
      'export const configs = config({',
      '  schemas: {',
      '    app: Type.Object({ port: Type.Integer({ default: 3000 }), greeting: Type.String() }),',
      '  },',
      "  // Keys the app reads only at start: an edit to them is rejected with \"restart needed\".",
      "  restartRequired: { app: ['port'] },",
      '})',
      '',
    )
    plugins.push('configs')
  }
  if (has('@hotreload/plugin-templates')) {
    if (engine) {
      imports.push(`import templates, { ${engine} } from '@hotreload/plugin-templates'`)
      body.push('// Compiled templates from templates/, recompiled with everything that uses them on each edit.', `export const views = templates({ engine: ${engine}() })`, '')
      plugins.push('views')
    } else {
      body.push('// @hotreload/plugin-templates is installed, but no engine: npm install handlebars (or eta), then', "// import templates, { handlebars } from '@hotreload/plugin-templates' and add templates({ engine: handlebars() }).", '')
    }
  }
  if (has('@hotreload/plugin-assets')) {
    imports.push("import assets from '@hotreload/plugin-assets'")
    body.push('// A content-hashed manifest of static/: files.url(\'css/app.css\') is the fingerprinted URL.', "export const files = assets({ publicPath: '/assets/' })", '')
    plugins.push('files')
  }
  if (has('@hotreload/plugin-backup')) {
    imports.push("import backup from '@hotreload/plugin-backup'")
    body.push('// Keeps what every reload replaced, in .hotreload/backups: npx hotreload backup list.', 'export const backups = backup({ keepVersions: 20 })', '')
    plugins.push('backups')
  }
  if (plugins.length === 0) {
    body.push(
      '// No @hotreload plugin is installed yet. For typed configuration files:',
      '//   npm install @hotreload/plugin-config @sinclair/typebox',
      '// then run `npx hotreload init` again in an empty directory, or see the README of',
      '// @hotreload/core for defineReloadHandler(), a handler for your own files.',
      '',
    )
  }
  return `// hotreload.config.ts, written by \`hotreload init\`. The CLI (npx hotreload) loads it, and your app
// imports it: \`import options from './hotreload.config.js'\` then \`await createHotReload(options)\`,
// so the app reads the very plugin objects that are applied.
${imports.join('\n')}

${body.join('\n')}\nexport default defineConfig({
  // Quiet period (ms) before a batch of file events is applied.
  debounceMs: 50,
  plugins: [${plugins.join(', ')}],
})
`
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}
