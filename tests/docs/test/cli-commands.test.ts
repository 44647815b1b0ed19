/**
 * Every `0g-compute <command> <subcommand>` the READMEs mention exists: shell blocks of every README, and the inline
 * command spans of the CLI README (its JSON-contract table names each command). Checked with the real binary's
 * `--help` (SUBCOMMANDS of each level). Plus the parser on the README notation, and a made-up command that must fail.
 */
import { describe, expect, it } from "vitest"
import {
  checkMention,
  makeBatchHelp,
  makeHelp,
  mentionsInProse,
  mentionsInShell,
  parseMention,
  subcommandsOf,
} from "../src/cli.js"
import { extractBlocks } from "../src/extract.js"
import { README_PATHS, readReadme } from "../src/run.js"

const help = makeHelp()

describe("0g-compute commands named in the READMEs", () => {
  it("parses the README notation (spaced | between alternatives, unspaced a|b in place)", () => {
    expect(parseMention("ledger add 5 | deposit 1 [--for 0x…] | transfer --provider 0x… 2")).toEqual([
      ["ledger", "add"],
      ["ledger", "deposit"],
      ["ledger", "transfer"],
    ])
    expect(parseMention("inference chat [--stream] | api-key create|revoke-all   # comment")).toEqual([
      ["inference", "chat"],
      ["inference", "api-key", "create"],
      ["inference", "api-key", "revoke-all"],
    ])
    expect(parseMention("ledger add\\|deposit")).toEqual([
      ["ledger", "add"],
      ["ledger", "deposit"],
    ])
    expect(parseMention("--network testnet|mainnet …")).toEqual([])
  })

  it("exist, each checked against `--help` of the real command tree", async () => {
    const top = subcommandsOf(await help([]))
    expect(top.has("ledger")).toBe(true)
    const mentions = [
      ...README_PATHS.flatMap((p) => mentionsInShell(extractBlocks(p, readReadme(p)))),
      ...mentionsInProse("apps/cli/README.md", readReadme("apps/cli/README.md"), top),
    ]
    const unique = new Map(mentions.map((m) => [m.words.join(" "), m]))
    expect(unique.size).toBeGreaterThan(30)
    const batch = await makeBatchHelp([...unique.values()].map((m) => m.words))
    const problems: Array<string> = []
    for (const m of unique.values()) {
      const why = await checkMention(m.words, batch)
      if (why !== undefined) problems.push(`${m.where}: ${why}`)
    }
    expect(problems).toEqual([])
    process.stdout.write(`\ndoc-tests: ${unique.size} distinct 0g-compute command paths in the READMEs exist\n`)
  })

  it("hostile: a command that does not exist is reported with where it was mentioned", async () => {
    const shell =
      "```sh\nnpm i -g @0g-compute/cli   # then the 0g-compute command\n0g-compute ledger show | withdraw-all 5\n```\n"
    const [m] = mentionsInShell(extractBlocks("x.md", shell)).slice(1)
    expect(m).toEqual({ words: ["ledger", "withdraw-all"], where: "x.md:3" })
    expect(await checkMention(m!.words, help)).toMatch(/`0g-compute ledger withdraw-all` does not exist/)
  })
})
