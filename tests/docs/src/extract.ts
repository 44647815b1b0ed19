/**
 * Code blocks of a Markdown file. A fence is ``` or ~~~ (three or more) at the start of a line; its info string is
 * `<lang> [flags…]`, e.g. ```ts or ```ts no-run.
 */

export type BlockKind = "code" | "shell" | "other"

export interface CodeBlock {
  /** The README path as given (repo-relative in the tests). */
  readonly file: string
  /** 1-based line of the first code line (the line after the opening fence). */
  readonly line: number
  readonly lang: string
  readonly flags: ReadonlyArray<string>
  readonly code: string
  readonly kind: BlockKind
}

/** The languages the doc-test runs, and the shells whose `0g-compute` commands it checks. */
export const CODE_LANGS: ReadonlySet<string> = new Set(["ts", "typescript", "js", "javascript", "mjs"])
export const SHELL_LANGS: ReadonlySet<string> = new Set(["sh", "bash", "shell", "console"])

/** The one flag a code block may carry: type-checked but not run (keep such blocks rare). */
export const NO_RUN = "no-run"
const KNOWN_FLAGS: ReadonlySet<string> = new Set([NO_RUN])

export class UnclosedFence extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
  ) {
    super(`${file}:${line}: a code fence is never closed`)
  }
}

export class UnknownFlag extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly flag: string,
  ) {
    super(`${file}:${line}: unknown code-block flag "${flag}" (known: ${[...KNOWN_FLAGS].join(", ")})`)
  }
}

export const extractBlocks = (file: string, markdown: string): ReadonlyArray<CodeBlock> => {
  const lines = markdown.split(/\r?\n/)
  const blocks: Array<CodeBlock> = []
  let i = 0
  while (i < lines.length) {
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)\s*(.*)$/.exec(lines[i] ?? "")
    if (open === null) {
      i++
      continue
    }
    const [, , fence = "```", lang = "", rest = ""] = open
    const start = i + 1
    let end = start
    while (end < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[end] ?? "")) end++
    if (end >= lines.length) throw new UnclosedFence(file, i + 1)
    const flags = rest.split(/\s+/).filter((f) => f !== "")
    const lower = lang.toLowerCase()
    const kind: BlockKind = CODE_LANGS.has(lower) ? "code" : SHELL_LANGS.has(lower) ? "shell" : "other"
    if (kind === "code") for (const f of flags) if (!KNOWN_FLAGS.has(f)) throw new UnknownFlag(file, start, f)
    blocks.push({ file, line: start + 1, lang: lower, flags, code: lines.slice(start, end).join("\n"), kind })
    i = end + 1
  }
  return blocks
}
