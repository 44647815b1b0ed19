/**
 * The gateway's Effect face (`makeGateway` over `Directory` + `InferenceRequests`, as `0g-compute inference serve`
 * runs it) on a devnet: it answers while its scope is open and stops when the scope closes; a busy port and an unknown
 * provider are typed failures, not thrown errors.
 */
import { createServer, type Server } from "node:net"
import { Effect, Exit, Redacted, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { useTestDevnet } from "../../testing/fixture.js"
import { GatewayListenFailed, makeGateway } from "./server.js"

const t = useTestDevnet({ ledger: "5", acknowledge: { fund: "2" } })
let busy: Server
let busyPort: number

beforeAll(async () => {
  busy = createServer()
  busyPort = await new Promise<number>((resolve) =>
    busy.listen(0, "127.0.0.1", () => resolve((busy.address() as { port: number }).port)),
  )
})
afterAll(() => {
  busy?.close()
})

describe("makeGateway", () => {
  it("answers a verified chat while its scope is open and stops listening when the scope closes", async () => {
    const scope = Scope.makeUnsafe()
    const gateway = await t.user.client.run(
      Scope.provide(scope)(makeGateway({ providers: [t.provider.providerAddress] })),
    )
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${Redacted.value(gateway.token)}`, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "through the effect api" }] }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get("x-zg-verified")).toBe("Verified")
    expect(
      ((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content,
    ).toBe("Echo: through the effect api")
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await expect(fetch(`${gateway.url}/health`)).rejects.toThrow()
  })

  it("a busy port is a typed GatewayListenFailed naming host, port and EADDRINUSE", async () => {
    const exit = await t.user.client.run(
      Effect.exit(Effect.scoped(makeGateway({ providers: [t.provider.providerAddress], port: busyPort }))),
    )
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
    expect(error?._tag).toBe("Fail")
    const failure = error?._tag === "Fail" ? error.error : undefined
    expect(failure).toBeInstanceOf(GatewayListenFailed)
    expect(failure).toMatchObject({ host: "127.0.0.1", port: busyPort, code: "EADDRINUSE" })
    expect((failure as GatewayListenFailed).message).toBe(
      `the gateway cannot listen on 127.0.0.1:${busyPort}: the port is in use`,
    )
  })

  it("an unregistered provider fails with ServiceNotFound before anything listens", async () => {
    const stranger = "0x000000000000000000000000000000000000dEaD"
    const failure = await t.user.client.run(Effect.flip(Effect.scoped(makeGateway({ providers: [stranger] }))))
    expect(failure._tag).toBe("ServiceNotFound")
  })
})
