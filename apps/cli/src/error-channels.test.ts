/**
 * Every command's error channel, checked by tsc (`npm run typecheck`; vitest runs the same file): never `unknown`, only
 * tagged errors with a one-line `message`, so the one printer (failure.ts) words each by its tag. At run time: a command
 * whose failure once reached the user as Effect's wording ("An error occurred in Effect.tryPromise") prints its typed
 * message, in text and as a JSON document.
 */
import { createServer, type Server } from "node:net"
import type { Command } from "effect/cli"
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest"
import type { cli } from "./cli.js"
import type { CliFailure, TaggedFailure } from "./failure.js"
import { listen, runCli } from "./test-util.js"

type IsUnknown<T> = unknown extends T ? true : false

describe("error channels", () => {
  it("no command can fail with `unknown`: the union is tagged errors only (a type error otherwise)", () => {
    expectTypeOf<IsUnknown<Command.Error<typeof cli>>>().toEqualTypeOf<false>()
    expectTypeOf<IsUnknown<CliFailure>>().toEqualTypeOf<false>()
    expectTypeOf<CliFailure>().toExtend<TaggedFailure>()
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
