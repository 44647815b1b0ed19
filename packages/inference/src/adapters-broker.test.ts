/**
 * An adapter chat against the 2026 broker, which rewrites the request before signing it (RewriteLoRARequest:
 * `model` → the service's base model, plus `lora_adapter_name`, re-encoded by Go's json.Marshal). Our client
 * reproduces that documented rewrite, so the exchange stays bytes-bound; the fee matches the provider's.
 */
import type { Devnet, InferenceProvider } from "@0g-compute/devnet"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterName } from "./adapters.js"
import { addLedger, startTestDevnet, type TestUser, userClient } from "./test-util/fixture.js"

let devnet: Devnet
let provider: InferenceProvider
let user: TestUser
const TASK = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

beforeAll(async () => {
  devnet = await startTestDevnet({ inferenceBrokers: [{}] })
  provider = devnet.inference[0] as InferenceProvider
  user = await userClient(devnet, 0)
  await addLedger(user, "10")
  await user.client.acknowledge(provider.providerAddress, { allowDevnet: true, fund: "3" })
  provider.lora.register({ taskId: TASK, user: user.address, baseModel: provider.model })
})
afterAll(async () => {
  await user?.close()
  await devnet?.stop()
})

describe("LoRA adapter chat through the 2026 broker's request rewrite", () => {
  it("is bytes-bound (the rewrite reproduced), verified, and billed as the provider bills it", async () => {
    const name = adapterName(provider.model, TASK)
    await user.client.adapters.deploy(provider.providerAddress, { taskId: TASK, baseModel: provider.model })
    await user.client.adapters.waitUntilActive(provider.providerAddress, name, { intervalMs: 5, timeoutMs: 10_000 })
    const openai = new OpenAI(await user.client.openAIOptions(provider.providerAddress))
    for (const stream of [false, true]) {
      const before = user.client.usageRecords().length
      if (stream) {
        const s = await openai.chat.completions.create({
          model: name,
          messages: [{ role: "user", content: "rewritten <b> & signed" }],
          stream: true,
        })
        for await (const _ of s) {
          // drain
        }
      } else {
        await openai.chat.completions.create({ model: name, messages: [{ role: "user", content: "rewritten <b>" }] })
      }
      const [r] = user.client.usageRecords().slice(before)
      expect(r).toMatchObject({ model: name, verdict: "Verified", level: "bytes-bound" })
    }
    const ours = user.client.usageRecords().reduce((s, r) => s + r.fee, 0n)
    expect(ours).toBeGreaterThan(0n)
    expect(provider.unsettledFee(user.address)).toBe(ours)
  })
})
