// Code blocks of the READMEs, for the test that runs them (test/npm-pack.test.ts).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { repoRoot } from './cli.js'

/**
 * One fenced code block. The info string is `<lang> [file] [flags...]`: a word with a `.` or a
 * `/` is the file the block is (```ts hotreload.config.ts), `no-run` marks a program that is
 * type-checked but not run (a server that never exits).
 */
export interface Snippet {
  /** Repository-relative README path. */
  readonly readme: string
  /** 1-based line of the opening fence. */
  readonly line: number
  readonly lang: string
  readonly file?: string
  readonly flags: readonly string[]
  readonly code: string
}

/** The fenced blocks of a README; only those under the heading `section` (up to the next heading of its level) when given. */
export async function readSnippets(readme: string, section?: string): Promise<Snippet[]> {
  const lines = (await readFile(join(repoRoot, readme), 'utf8')).split('\n')
  let from = 0
  let to = lines.length
  if (section !== undefined) {
    from = lines.findIndex((l) => l.trim() === section)
    if (from < 0) throw new Error(`${readme}: no section "${section}"`)
    const level = /^#+/.exec(section)?.[0] ?? '##'
    const next = lines.findIndex((l, i) => i > from && new RegExp(`^#{1,${level.length}} `).test(l))
    to = next < 0 ? lines.length : next
  }
  const snippets: Snippet[] = []
  for (let i = from; i < to; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i] ?? '')
    if (!open) continue
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'))
    if (end < 0) throw new Error(`${readme}:${i + 1}: unclosed code block`)
    const words = (open[2] ?? '').split(/\s+/).filter(Boolean)
    const file = words.find((w) => w.includes('.') || w.includes('/'))
    snippets.push({
      readme,
      line: i + 1,
      lang: open[1] ?? '',
      ...(file ? { file } : {}),
      flags: words.filter((w) => w !== file),
      code: `${lines.slice(i + 1, end).join('\n')}\n`,
    })
    i = end
  }
  return snippets
}

/** The commands of a `sh` block: one per line, comments and blank lines dropped. */
export function commands(snippet: Snippet): string[][] {
  return snippet.code
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .map((l) => l.split(/\s+/))
}
