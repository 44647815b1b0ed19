/**
 * The OpenAI drop-in against an emulated TEE provider on a devnet: the official `openai` package (v6) with our fetch,
 * non-stream and stream, every response verified against the exact bytes, usage and fees recorded, and zero chain
 * calls per request once warm.
 */
import type { Devnet, InferenceProvider } from "@0g-compute/devnet"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { addLedger, startTestDevnet, type TestUser, userClient } from "../test-util/fixture.js"

let devnet: Devnet
let provider: InferenceProvider
let user: TestUser
let openai: OpenAI

beforeAll(async () => {
  devnet = await startTestDevnet()
  provider = devnet.inference[0] as InferenceProvider
  user = await userClient(devnet, 0)
  await addLedger(user, "10")
  const ack = await user.client.acknowledge(provider.providerAddress, { allowDevnet: true, fund: "3" })
  expect(ack.onChain).toBe("created")
  openai = new OpenAI(await user.client.openAIOptions(provider.providerAddress))
})
afterAll(async () => {
  await user?.close()
  await devnet?.stop()
})

const feeOf = (prompt: number, completion: number) =>
  BigInt(prompt) * provider.inputPrice + BigInt(completion) * provider.outputPrice

describe("OpenAI SDK through inference.fetch", () => {
  it("completes a non-stream chat, verified, with its fee recorded", async () => {
    const before = user.client.usageRecords().length
    const completion = await openai.chat.completions.create({
      model: provider.model,
      messages: [{ role: "user", content: "hello verified world" }],
    })
    expect(completion.choices[0]?.message.content).toBe("Echo: hello verified world")
    const records = user.client.usageRecords().slice(before)
    expect(records).toHaveLength(1)
    const r = records[0]
    expect(r).toMatchObject({
      verdict: "Verified",
      stream: false,
      promptTokens: 3,
      completionTokens: 4,
      model: provider.model,
    })
    expect(r?.fee).toBe(feeOf(3, 4))
    expect(r?.chatId).toMatch(/^[0-9a-f-]{36}$/)
    // The provider billed exactly what we recorded.
    expect(provider.unsettledFee(user.address)).toBe(user.client.usage().total.fee)
  })

  it("streams a chat through the SDK's iterator, verified at the end", async () => {
    const before = user.client.usageRecords().length
    const stream = await openai.chat.completions.create({
      model: provider.model,
      messages: [{ role: "user", content: "one two three four" }],
      stream: true,
    })
    let text = ""
    let usage: OpenAI.CompletionUsage | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ""
      if (chunk.usage) usage = chunk.usage
    }
    expect(text).toBe("Echo: one two three four")
    expect(usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 5 })
    const [r] = user.client.usageRecords().slice(before)
    expect(r).toMatchObject({ verdict: "Verified", stream: true, promptTokens: 4, completionTokens: 5 })
    expect(r?.fee).toBe(feeOf(4, 5))
    expect(provider.unsettledFee(user.address)).toBe(user.client.usage().total.fee)
  })

  it("hands stream chunks to the caller before the provider has finished (no whole-body buffering)", async () => {
    provider.faults.set({ streamDelayMs: 25 })
    try {
      const f = user.client.fetch(provider.providerAddress)
      const billedBefore = provider.unsettledFee(user.address)
      const res = await f(`${provider.url}/v1/proxy/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: provider.model,
          messages: [{ role: "user", content: "a b c d e f g h" }],
          stream: true,
        }),
      })
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      const first = await reader.read()
      expect(first.done).toBe(false)
      expect(new TextDecoder().decode(first.value)).toContain("data: ")
      // The provider bills just before its last chunk; with 25 ms between chunks it is far from there yet.
      expect(provider.unsettledFee(user.address)).toBe(billedBefore)
      let rest = ""
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value)
      expect(rest.trimEnd().endsWith("data: [DONE]")).toBe(true)
      expect(provider.unsettledFee(user.address)).toBeGreaterThan(billedBefore)
    } finally {
      provider.faults.clear()
    }
  })

  it("adds include_usage to streams itself, so the provider never rewrites the signed request", async () => {
    let seen: string | undefined
    const f = user.client.fetch(provider.providerAddress, { onExchange: (x) => (seen = x.receipt?.requestHash) })
    const body = JSON.stringify({ model: provider.model, messages: [{ role: "user", content: "x" }], stream: true })
    const res = await f(`${provider.url}/v1/proxy/chat/completions`, { method: "POST", body })
    await res.text()
    expect(seen).toMatch(/^[0-9a-f]{64}$/)
    const { createHash } = await import("node:crypto")
    // What was signed is not the caller's body (it lacked include_usage) but the exact bytes we sent instead.
    expect(seen).not.toBe(createHash("sha256").update(body).digest("hex"))
    const sent = JSON.stringify({ ...JSON.parse(body), stream_options: { include_usage: true } })
    expect(seen).toBe(createHash("sha256").update(sent).digest("hex"))
  })

  it("makes zero chain calls per request in steady state (streaming and not)", async () => {
    await openai.chat.completions.create({ model: provider.model, messages: [{ role: "user", content: "warm" }] })
    user.rpc.reset()
    for (let i = 0; i < 10; i++) {
      await openai.chat.completions.create({ model: provider.model, messages: [{ role: "user", content: `n ${i}` }] })
      const s = await openai.chat.completions.create({
        model: provider.model,
        messages: [{ role: "user", content: `s ${i}` }],
        stream: true,
      })
      for await (const _ of s) {
        // drain
      }
    }
    expect(user.rpc.methods).toEqual([])
    expect(user.rpc.calls).toBe(0)
    // The counter does see chain reads: a fresh service lookup is one eth_call.
    await user.client.getService(provider.providerAddress)
    expect(user.rpc.methods).toContain("eth_call")
  })

  it("refuses to send credentials to a URL outside the provider's service URL", async () => {
    const f = user.client.fetch(provider.providerAddress)
    await expect(
      f("http://127.0.0.1:9/v1/proxy/chat/completions", { method: "POST", body: "{}" }),
    ).rejects.toMatchObject({
      _tag: "UrlNotForProvider",
    })
  })

  it("settles on chain exactly the fees it recorded", async () => {
    const report = await provider.settleNow()
    expect(report.items.every((i) => i.status === 0)).toBe(true)
    expect(report.settled).toBe(user.client.usage().total.fee)
    expect(provider.unsettledFee(user.address)).toBe(0n)
    const summary = user.client.usage()
    expect(summary.byModel).toEqual([
      expect.objectContaining({
        provider: provider.providerAddress,
        model: provider.model,
        requests: summary.total.requests,
      }),
    ])
    expect(summary.total.failed).toBe(0)
  })
})
