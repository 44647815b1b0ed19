/**
 * The OpenAI drop-in against an emulated TEE provider on a devnet: the official `openai` package (v6) with our fetch,
 * non-stream and stream, every response verified against the exact bytes, usage and fees recorded, and zero chain
 * calls per request once warm.
 */
import { makeChain } from "@0g-compute/core"
import type { Devnet, InferenceProvider } from "@0g-compute/devnet"
import { Clock, Effect, Redacted } from "effect"
import { Wallet } from "ethers"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeRequestAuth } from "../auth/session.js"
import { addLedger, startTestDevnet, type TestUser, userClient } from "../test-util/fixture.js"
import type { ExchangeResult } from "./adapter.js"

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

describe("session tokens", () => {
  const HOUR = 3_600_000
  const at =
    (ms: number) =>
    <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.provideService(effect, Clock.Clock, {
        currentTimeMillisUnsafe: () => ms,
        currentTimeMillis: Effect.succeed(ms),
        currentTimeNanosUnsafe: () => BigInt(ms) * 1_000_000n,
        currentTimeNanos: Effect.succeed(BigInt(ms) * 1_000_000n),
        sleep: () => Effect.void,
      } as unknown as Clock.Clock)

  it("reuses the cached ephemeral token and renews it once less than the margin remains", async () => {
    const chain = await Effect.runPromise(makeChain(user.provider, { contracts: devnet.addresses }))
    const key = (devnet.accounts.users[0] as { privateKey: Redacted.Redacted<string> }).privateKey
    const auth = makeRequestAuth(chain, { signer: new Wallet(Redacted.value(key)), address: user.address })
    const p = provider.providerAddress
    const t0 = Date.now()
    const first = await Effect.runPromise(at(t0)(auth.session(p)))
    expect(first.expiresAt).toBe(t0 + 24 * HOUR)
    const later = await Effect.runPromise(at(t0 + 23 * HOUR - 1)(auth.session(p)))
    expect(later).toBe(first) // same object: no new signature
    const renewed = await Effect.runPromise(at(t0 + 23 * HOUR)(auth.session(p)))
    expect(renewed).not.toBe(first)
    expect(renewed.expiresAt).toBe(t0 + 47 * HOUR)
    expect(Redacted.value(renewed.authorization)).not.toBe(Redacted.value(first.authorization))
    expect(String(renewed.authorization)).not.toContain("app-sk-")
  })
})

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
    // Anyone can fetch the signature of that exchange by hand (the official SDK's getChatSignatureDownloadLink).
    const url = await user.client.signatureUrl(provider.providerAddress, r?.chatId ?? "")
    expect(url).toBe(`${provider.url}/v1/proxy/signature/${r?.chatId}`)
    const signed = (await (await fetch(url)).json()) as { text: string; signature: string }
    expect(signed.text).toMatch(/^[0-9a-f]{64}:[0-9a-f]{64}$/)
    expect(signed.signature).toMatch(/^0x[0-9a-f]{130}$/)
    expect(await user.client.signatureUrl(provider.providerAddress, "../../v1/account")).toBe(
      `${provider.url}/v1/proxy/signature/..%2F..%2Fv1%2Faccount`,
    )
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

  it("surfaces the caller's abort as an abort, yet still reads, verifies and records what the provider billed", async () => {
    provider.faults.set({ streamDelayMs: 10 })
    try {
      let settled: (r: ExchangeResult) => void = () => undefined
      const exchanged = new Promise<ExchangeResult>((resolve) => {
        settled = resolve
      })
      const f = user.client.fetch(provider.providerAddress, { onExchange: (r) => settled(r) })
      const controller = new AbortController()
      const billedBefore = provider.unsettledFee(user.address)
      const res = await f(`${provider.url}/v1/proxy/chat/completions`, {
        method: "POST",
        body: JSON.stringify({
          model: provider.model,
          messages: [{ role: "user", content: "a b c d e f" }],
          stream: true,
        }),
        signal: controller.signal,
      })
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      await reader.read()
      controller.abort()
      await expect(reader.read()).rejects.toMatchObject({ name: "AbortError" })
      const result = await exchanged
      expect(result.record).toMatchObject({ verdict: "Verified", promptTokens: 6, completionTokens: 7 })
      expect(provider.unsettledFee(user.address) - billedBefore).toBe(result.record.fee)
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
    // Sent in the broker's canonical form (sorted keys), which its re-encoding leaves as it is.
    const sent = `{"messages":[{"content":"x","role":"user"}],"model":"${provider.model}","stream":true,"stream_options":{"include_usage":true}}`
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
