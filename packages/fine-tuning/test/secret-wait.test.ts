/**
 * Waiting for the released key can take minutes (the provider settles on its own schedule); one failed chain read in
 * between must not end the wait. The RPC is the devnet's anvil behind the devnet's fault proxy, answering the next two
 * contract reads with HTTP 503.
 */
import { join } from "node:path"
import { type RpcFaultProxy, startRpcFaultProxy } from "@0g-compute/devnet"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { FineTuningClient } from "../src/node/index.js"
import { PROVIDER, type User, useHarness } from "../src/testing/harness.js"

describe("waiting for the released key across a failing RPC", () => {
  const h = useHarness()
  let user: User
  let taskId = ""
  let rpc: RpcFaultProxy
  let client: FineTuningClient

  beforeAll(async () => {
    ;({ user, taskId } = await h.userWithTask("secret-wait.jsonl", { delivered: true }))
    rpc = await startRpcFaultProxy({ upstream: h.devnet.rpcUrl })
    client = await h.client(user.key, { rpcUrl: rpc.url })
  })
  afterAll(() => rpc?.close())

  it("retries the failed reads and returns once the key is released", async () => {
    h.ft.setFaults({ stall: "Delivered" }) // the provider settles only when the test lets it
    await user.client.acknowledgeModel(PROVIDER, taskId, { output: join(h.dir, "secret-wait.enc") })
    rpc.setFault({ fault: { kind: "http-status", status: 503 }, methods: ["eth_call"], times: 2 })
    const waited = client.waitForSecret(PROVIDER, taskId)
    h.ft.setFaults({})
    await waited
    expect(rpc.counters().faults).toBe(2)
    expect((await client.getDeliverable(PROVIDER, taskId)).secretReleased).toBe(true)
  })
})
