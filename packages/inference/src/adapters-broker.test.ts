/**
 * An adapter chat against the 2026 broker, which rewrites the request before signing it (RewriteLoRARequest:
 * `model` → the service's base model, plus `lora_adapter_name`, re-encoded by Go's json.Marshal). Our client
 * reproduces that documented rewrite, so the exchange stays bytes-bound; the fee matches the provider's.
 */
import OpenAI from "openai"
import { beforeAll, describe, expect, it } from "vitest"
import { adapterName } from "./adapters.js"
import { useTestDevnet } from "./testing/fixture.js"

const TASK = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

const t = useTestDevnet({ inferenceBrokers: [{}], ledger: "10", acknowledge: { fund: "3" } })
beforeAll(() => t.provider.lora.register({ taskId: TASK, user: t.user.address, baseModel: t.provider.model }))

describe("LoRA adapter chat through the 2026 broker's request rewrite", () => {
  it("is bytes-bound (the rewrite reproduced), verified, and billed as the provider bills it", async () => {
    const name = adapterName(t.provider.model, TASK)
    await t.user.client.adapters.deploy(t.provider.providerAddress, { taskId: TASK, baseModel: t.provider.model })
    await t.user.client.adapters.waitUntilActive(t.provider.providerAddress, name, { intervalMs: 5, timeoutMs: 10_000 })
    const openai = new OpenAI(await t.user.client.openAIOptions(t.provider.providerAddress))
    for (const stream of [false, true]) {
      const before = t.user.client.usageRecords().length
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
      const [r] = t.user.client.usageRecords().slice(before)
      expect(r).toMatchObject({ model: name, verdict: "Verified", level: "bytes-bound" })
    }
    const ours = t.user.client.usageRecords().reduce((s, r) => s + r.fee, 0n)
    expect(ours).toBeGreaterThan(0n)
    expect(t.provider.unsettledFee(t.user.address)).toBe(ours)
  })
})
