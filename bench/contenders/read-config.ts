import { readFile } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'

/**
 * What the hand-rolled contenders do on every event: read the file and JSON.parse it. A file
 * caught mid-write does not parse; the naive script keeps its last value, which is the point
 * of measuring it (the bursts case shows what that costs in correctness).
 */
export async function readValue(file: string): Promise<number | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    // A file replaced by rename can be briefly missing; the next event brings it back.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null && 'value' in parsed && typeof parsed.value === 'number') return parsed.value
    return undefined
  } catch (error) {
    if (error instanceof SyntaxError) return undefined
    throw error
  }
}

/** `config/app.json` -> `app`, or undefined for anything that is not a config file. */
export function configNameOf(file: string): string | undefined {
  return extname(file) === '.json' ? basename(file, '.json') : undefined
}

export function configPath(root: string, name: string): string {
  return join(root, 'config', `${name}.json`)
}
