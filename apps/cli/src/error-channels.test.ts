/**
 * Every command's error channel, checked by tsc (`npm run typecheck`; vitest runs the same file): never `unknown`, and
 * no member with a wide `string` tag, only named tagged errors with a one-line `message`, so the one printer (failure.ts) words each by its tag. At run time: a command
 * whose failure once reached the user as Effect's wording ("An error occurred in Effect.tryPromise") prints its typed
 * message, in text and as a JSON document. And every command of the tree (walked through effect/cli's CommandSpec, so a
 * new one is included without listing it) runs inside the error boundary: a failure in its handler is one typed line,
 * never Effect's wording and never silence.
 */
import { mkdir, mkdtemp } from "node:fs/promises"
import { createServer, type Server } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Option } from "effect"
import { type Command, CommandSpec } from "effect/cli"
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest"
import { cli } from "./cli.js"
import type { CliFailure, TaggedFailure } from "./failure.js"
import { listen, runCli } from "./testing/cli.js"

const EFFECT_WORDING = /UnknownError|Effect\.|An error occurred in|FiberFailure|\bDefect\b/
const STRANGER = "0x000000000000000000000000000000000000dEaD"

const specOf = (path: ReadonlyArray<string>) => Option.getOrThrow(CommandSpec.resolve(cli, path))

/** Every runnable command of the tree, as its path from the root. */
const leaves = (path: ReadonlyArray<string>): Array<ReadonlyArray<string>> => {
  const subs = specOf(path).subcommands
  return subs.length === 0 ? [path] : subs.flatMap((s) => leaves([...path, s.name]))
}

const sample = (type: CommandSpec.Type) =>
  type._tag === "Choice" ? (type.values[0] ?? "") : type._tag === "Int" || type._tag === "Finite" ? "1" : STRANGER

/** The command's argv with a well-formed value for each required flag and argument, so its handler runs. */
const argvOf = (path: ReadonlyArray<string>) => {
  const spec = specOf(path)
  const flags = spec.flags
    .filter((f) => f.scope._tag === "Local" && (f.required || (f.variadic?.min ?? 0) > 0))
    .flatMap((f) => [`--${f.name}`, sample(f.type)])
  // A storage root is checked for its shape (64 hex digits) when parsed.
  const args = spec.arguments
    .filter((a) => a.required)
    .map((a) => (a.name === "root" ? `0x${"0".repeat(64)}` : sample(a.type)))
  return [...path.slice(1), ...flags, ...args]
}

type IsUnknown<T> = unknown extends T ? true : false
/** The members of F whose `_tag` is plain `string` (a wide error such as core's `ZgError`): no wording can name them. */
type WideTagged<F> = F extends { readonly _tag: infer K } ? (string extends K ? F : never) : never

describe("error channels", () => {
  it("no command can fail with `unknown`: the union is tagged errors only (a type error otherwise)", () => {
    expectTypeOf<IsUnknown<Command.Error<typeof cli>>>().toEqualTypeOf<false>()
    expectTypeOf<IsUnknown<CliFailure>>().toEqualTypeOf<false>()
    expectTypeOf<CliFailure>().toExtend<TaggedFailure>()
    expectTypeOf<WideTagged<CliFailure>>().toEqualTypeOf<never>()
    // inference chat --stream: a data line that is not JSON is the provider's typed fault, worded by the CLI.
    expectTypeOf<Extract<CliFailure, { readonly _tag: "MalformedProviderResponse" }>>().toHaveProperty("what")
    expectTypeOf<Extract<CliFailure, { readonly _tag: "PortInUse" }>>().toHaveProperty("port")
  })
})

describe("no Effect wording reaches a user", () => {
  let busy: Server
  let port: number
  beforeAll(async () => {
    busy = createServer()
    port = await listen(busy)
  })
  afterAll(() => {
    busy?.close()
  })

  it("devnet up on a busy port: PortInUse with the port, exit 1, nothing on stdout", async () => {
    const [text, json] = await Promise.all([
      runCli(["devnet", "up", "--port", String(port)]),
      runCli(["devnet", "up", "--port", String(port), "--json"]),
    ])
    expect(text).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: port ${port} is in use; pass --port <n> (or stop what listens there)\n`,
    })
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stderr)).toEqual({
      error: {
        _tag: "PortInUse",
        message: `port ${port} is in use; pass --port <n> (or stop what listens there)`,
        port,
      },
    })
    for (const out of [text.stderr, json.stderr]) expect(out).not.toMatch(/Effect\.|UnknownError|FiberFailure/)
  })
})

describe("every command reports its failures through the one printer", () => {
  it("each command, failing before any key, network or file is used, prints one typed line (and a JSON document), never Effect's wording", async () => {
    // A directory where the config file belongs: reading the profile (every handler's first step) fails.
    const dir = await mkdtemp(join(tmpdir(), "zg-error-channels-"))
    await mkdir(join(dir, "config.json"))
    const env = { ZG_CONFIG_DIR: dir }
    const commands = leaves(["0g-compute"])
    expect(commands.length).toBeGreaterThan(50)
    for (const path of commands) {
      const argv = argvOf(path)
      const what = argv.join(" ")
      const [text, json] = await Promise.all([runCli(argv, env), runCli([...argv, "--json"], env)])
      // One line, no usage: the handler ran and its failure went through the boundary, not the flag parser.
      expect(text, what).toMatchObject({ code: 1, stdout: "" })
      expect(text.stderr, what).toMatch(/^error: [^\n]{10,}\n$/)
      expect(json, what).toMatchObject({ code: 1, stdout: "" })
      const doc = JSON.parse(json.stderr) as { error: { _tag: string; message: string } }
      expect(doc.error._tag, what).toMatch(/^[A-Z][A-Za-z]+$/)
      expect(`error: ${doc.error.message}\n`, what).toBe(text.stderr)
      for (const out of [text.stderr, json.stderr]) expect(out, what).not.toMatch(EFFECT_WORDING)
    }
  }, 120_000)
})
