/**
 * The `0g-compute` commands the READMEs mention, and a check that each exists: `0g-compute <path…> --help` lists the
 * next word among its SUBCOMMANDS. Sources: shell blocks (`0g-compute ledger add 5 | deposit 1 | …`) and, in the CLI
 * README, inline code spans / table cells that start with a top-level command (`ledger add\|deposit`).
 *
 * Notation: ` | ` (spaced) separates alternatives at the group level (`ledger show | retrieve` = `ledger show`,
 * `ledger retrieve`); `a|b` (unspaced) expands in place (`api-key create|list` = `api-key create`, `api-key list`).
 */
import { join } from "node:path"
import type { CodeBlock } from "./extract.js"
import { exec, PACKAGE_DIR } from "./run.js"

export const CLI_BIN = join(PACKAGE_DIR, "..", "..", "apps", "cli", "bin", "0g-compute.mjs")
const HELP_DUMP = join(PACKAGE_DIR, "..", "..", "apps", "cli", "scripts", "help-dump.mjs")

export interface CommandMention {
  readonly words: ReadonlyArray<string>
  readonly where: string
}

const WORD = /^[a-z][a-z0-9-]*$/

/** Leading command words of one alternative (stops at a flag, a placeholder or a value). */
const wordsOf = (segment: string): Array<Array<string>> => {
  let paths: Array<Array<string>> = [[]]
  for (const token of segment.trim().split(/\s+/)) {
    const options = token.split("|")
    if (token === "" || !options.every((o) => WORD.test(o))) break
    paths = paths.flatMap((p) => options.map((o) => [...p, o]))
  }
  return paths.filter((p) => p.length > 0)
}

/** Mentions in one line of text, `0g-compute` already stripped: `<group> <sub…> [| <sub…>]…`. */
export const parseMention = (text: string): ReadonlyArray<ReadonlyArray<string>> => {
  const [first = "", ...rest] = text
    .replace(/\\\|/g, "|")
    .replace(/#.*$/, "")
    .split(/\s+\|\s+/)
  const heads = wordsOf(first)
  const out: Array<Array<string>> = [...heads]
  const group = heads[0]?.[0]
  if (group === undefined) return out
  for (const alt of rest) for (const w of wordsOf(alt)) out.push([group, ...w])
  return out
}

/** `0g-compute …` lines of shell blocks. */
export const mentionsInShell = (blocks: ReadonlyArray<CodeBlock>): Array<CommandMention> => {
  const out: Array<CommandMention> = []
  for (const b of blocks.filter((x) => x.kind === "shell")) {
    b.code.split("\n").forEach((line, i) => {
      const code = line.replace(/(^|\s)#.*$/, "") // a comment may mention the command in prose
      const m = /(?:^|[\s;&(])(?:npx\s+@0g-compute\/cli|0g-compute)\s+(.*)$/.exec(code)
      if (m === null || /^\s*alias\s/.test(code)) return
      for (const words of parseMention(m[1] ?? "")) out.push({ words, where: `${b.file}:${b.line + i}` })
    })
  }
  return out
}

/** Inline code spans of prose (outside fences) that start with one of `groups`. */
export const mentionsInProse = (file: string, markdown: string, groups: ReadonlySet<string>): Array<CommandMention> => {
  const out: Array<CommandMention> = []
  let fenced = false
  markdown.split(/\r?\n/).forEach((line, i) => {
    if (/^ {0,3}(`{3,}|~{3,})/.test(line)) fenced = !fenced
    if (fenced) return
    for (const span of line.matchAll(/`([^`]+)`/g)) {
      const text = (span[1] ?? "").replace(/^0g-compute\s+/, "")
      if (!groups.has(text.split(/\s+/)[0] ?? "")) continue
      for (const words of parseMention(text)) out.push({ words, where: `${file}:${i + 1}` })
    }
  })
  return out
}

/** SUBCOMMANDS of a help text (names only). */
export const subcommandsOf = (help: string): ReadonlySet<string> => {
  const lines = help.split("\n")
  const at = lines.findIndex((l) => /^SUBCOMMANDS\s*$/i.test(l.trim()))
  const names = new Set<string>()
  if (at < 0) return names
  for (const l of lines.slice(at + 1)) {
    const m = /^\s{2,}([a-z][a-z0-9-]*)(\s{2,}|$)/.exec(l)
    if (m === null) break
    names.add(m[1] ?? "")
  }
  return names
}

/** Runs `0g-compute <path> --help` once per path (a new process each: for a path the batch did not cover). */
export const makeHelp = (env: NodeJS.ProcessEnv = process.env, known = new Map<string, Promise<string>>()) => {
  const cache = known
  return (path: ReadonlyArray<string>): Promise<string> => {
    const key = path.join(" ")
    let hit = cache.get(key)
    if (hit === undefined) {
      hit = exec(process.execPath, [CLI_BIN, ...path, "--help"], { env, timeoutMs: 120_000 }).then((r) =>
        r.code === 0 ? r.stdout : Promise.reject(new Error(`0g-compute ${key} --help: exit ${r.code}\n${r.stderr}`)),
      )
      cache.set(key, hit)
    }
    return hit
  }
}

/**
 * `--help` of every prefix of `mentions` in ONE process (apps/cli/scripts/help-dump.mjs runs the CLI in-process per
 * path), then `makeHelp` over those answers. Prefixes past a leaf command are asked too and simply not used.
 */
export const makeBatchHelp = async (
  mentions: ReadonlyArray<ReadonlyArray<string>>,
  env: NodeJS.ProcessEnv = process.env,
) => {
  const paths = new Map<string, ReadonlyArray<string>>()
  for (const words of mentions)
    for (let i = 0; i < words.length; i++) paths.set(words.slice(0, i).join(" "), words.slice(0, i))
  const r = await exec(process.execPath, [HELP_DUMP], {
    env,
    input: JSON.stringify([...paths.values()]),
    timeoutMs: 300_000,
  })
  if (r.code !== 0) throw new Error(`help-dump: exit ${r.code}\n${r.stderr}`)
  const answers = JSON.parse(r.stdout) as Record<string, { code: number; stdout: string; stderr: string }>
  const known = new Map<string, Promise<string>>()
  for (const [key, a] of Object.entries(answers))
    known.set(
      key,
      a.code === 0
        ? Promise.resolve(a.stdout)
        : Promise.reject(new Error(`0g-compute ${key} --help: exit ${a.code}\n${a.stderr}`)),
    )
  for (const p of known.values()) p.catch(() => {}) // rejections surface when a check asks for that path
  return makeHelp(env, known)
}

/**
 * Why `words` is not a command path of the CLI, or undefined when it is. Words past a leaf command are its
 * positional arguments and are not checked.
 */
export const checkMention = async (
  words: ReadonlyArray<string>,
  help: (path: ReadonlyArray<string>) => Promise<string>,
): Promise<string | undefined> => {
  for (let i = 0; i < words.length; i++) {
    const subs = subcommandsOf(await help(words.slice(0, i)))
    if (subs.size === 0) return undefined // a leaf: the rest are arguments
    if (!subs.has(words[i] ?? "")) {
      return `\`0g-compute ${words.slice(0, i + 1).join(" ")}\` does not exist (${words.slice(0, i).join(" ") || "top level"} has: ${[...subs].join(", ")})`
    }
  }
  return undefined
}
