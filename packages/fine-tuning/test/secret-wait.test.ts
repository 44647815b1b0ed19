/**
 * Waiting for the released key can take minutes (the provider settles on its own schedule); one failed chain read in
 * between must not end the wait. The RPC is the devnet's anvil behind the devnet's fault proxy, answering the next two
 * contract reads with HTTP 503.
 */
import { join } from "node:path"
import { useStarted } from "@0g-compute/core/testing/hooks"
import { startRpcFaultProxy } from "@0g-compute/devnet"
import { describe, expect, it } from "vitest"
import { PROVIDER, useHarness } from "../src/testing/harness.js"

describe("waiting for the released key across a failing RPC", () => {
  const h = useHarness()
  const env = useStarted(async (onStop) => {
    const { user, taskId } = await h.userWithTask("secret-wait.jsonl", { delivered: true })
    const rpc = await startRpcFaultProxy({ upstream: h.devnet.rpcUrl })
    onStop(() => rpc.close())
    const client = await h.client(user.key, { rpcUrl: rpc.url })
    return { user, taskId, rpc, client }
  })

  it("retries the failed reads and returns once the key is released", async () => {
    h.ft.setFaults({ stall: "Delivered" }) // the provider settles only when the test lets it
    await env.user.client.acknowledgeModel(PROVIDER, env.taskId, { output: join(h.dir, "secret-wait.enc") })
    env.rpc.setFault({ fault: { kind: "http-status", status: 503 }, methods: ["eth_call"], times: 2 })
    const waited = env.client.waitForSecret(PROVIDER, env.taskId)
    h.ft.setFaults({})
    await waited
    expect(env.rpc.counters().faults).toBe(2)
    expect((await env.client.getDeliverable(PROVIDER, env.taskId)).secretReleased).toBe(true)
  })
})
