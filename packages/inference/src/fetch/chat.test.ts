/**
 * The OpenAI drop-in against an emulated TEE provider on a devnet: the official `openai` package (v6) with our fetch,
 * non-stream and stream, every response verified against the exact bytes, usage and fees recorded, and zero chain
 * calls per request once warm.
 */
import { makeChain } from "@0g-compute/core"
import { Clock, Effect, Redacted } from "effect"
import { Wallet } from "ethers"
import type OpenAI from "openai"
import { beforeAll, describe, expect, it } from "vitest"
import { makeRequestAuth } from "../auth/session.js"
import { useTestDevnet } from "../testing/fixture.js"
import type { ExchangeResult } from "./adapter.js"

const t = useTestDevnet({ ledger: "10", acknowledge: { fund: "3" }, openai: true })
beforeAll(() => expect(t.acks[0]?.onChain).toBe("created"))

const feeOf = (prompt: number, completion: number) =>
  BigInt(prompt) * t.provider.inputPrice + BigInt(completion) * t.provider.outputPrice

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
    const chain = await Effect.runPromise(makeChain(t.user.provider, { contracts: t.devnet.addresses }))
    const key = (t.devnet.accounts.users[0] as { privateKey: Redacted.Redacted<string> }).privateKey
    const auth = makeRequestAuth(chain, { signer: new Wallet(Redacted.value(key)), address: t.user.address })
    const p = t.provider.providerAddress
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
    const before = t.user.client.usageRecords().length
    const completion = await t.openai.chat.completions.create({
      model: t.provider.model,
      messages: [{ role: "user", content: "hello verified world" }],
    })
    expect(completion.choices[0]?.message.content).toBe("Echo: hello verified world")
    const records = t.user.client.usageRecords().slice(before)
    expect(records).toHaveLength(1)
    const r = records[0]
    expect(r).toMatchObject({
      verdict: "Verified",
      stream: false,
      promptTokens: 3,
      completionTokens: 4,
      model: t.provider.model,
    })
    expect(r?.fee).toBe(feeOf(3, 4))
    expect(r?.chatId).toMatch(/^[0-9a-f-]{36}$/)
    // The provider billed exactly what we recorded.
    expect(t.provider.unsettledFee(t.user.address)).toBe(t.user.client.usage().total.fee)
    // Anyone can fetch the signature of that exchange by hand (the official SDK's getChatSignatureDownloadLink).
    const url = await t.user.client.signatureUrl(t.provider.providerAddress, r?.chatId ?? "")
    expect(url).toBe(`${t.provider.url}/v1/proxy/signature/${r?.chatId}`)
    const signed = (await (await fetch(url)).json()) as { text: string; signature: string }
    expect(signed.text).toMatch(/^[0-9a-f]{64}:[0-9a-f]{64}$/)
    expect(signed.signature).toMatch(/^0x[0-9a-f]{130}$/)
    expect(await t.user.client.signatureUrl(t.provider.providerAddress, "../../v1/account")).toBe(
      `${t.provider.url}/v1/proxy/signature/..%2F..%2Fv1%2Faccount`,
    )
  })

  it("streams a chat through the SDK's iterator, verified at the end", async () => {
    const before = t.user.client.usageRecords().length
    const stream = await t.openai.chat.completions.create({
      model: t.provider.model,
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
    const [r] = t.user.client.usageRecords().slice(before)
    expect(r).toMatchObject({ verdict: "Verified", stream: true, promptTokens: 4, completionTokens: 5 })
    expect(r?.fee).toBe(feeOf(4, 5))
    expect(t.provider.unsettledFee(t.user.address)).toBe(t.user.client.usage().total.fee)
  })

  it("hands stream chunks to the caller before the provider has finished (no whole-body buffering)", async () => {
    t.provider.faults.set({ streamDelayMs: 25 })
    try {
      const f = t.user.client.fetch(t.provider.providerAddress)
      const billedBefore = t.provider.unsettledFee(t.user.address)
      const res = await f(`${t.provider.url}/v1/proxy/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: t.provider.model,
          messages: [{ role: "user", content: "a b c d e f g h" }],
          stream: true,
        }),
      })
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      const first = await reader.read()
      expect(first.done).toBe(false)
      expect(new TextDecoder().decode(first.value)).toContain("data: ")
      // The provider bills just before its last chunk; with 25 ms between chunks it is far from there yet.
      expect(t.provider.unsettledFee(t.user.address)).toBe(billedBefore)
      let rest = ""
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value)
      expect(rest.trimEnd().endsWith("data: [DONE]")).toBe(true)
      expect(t.provider.unsettledFee(t.user.address)).toBeGreaterThan(billedBefore)
    } finally {
      t.provider.faults.clear()
    }
  })

  it("surfaces the caller's abort as an abort, yet still reads, verifies and records what the provider billed", async () => {
    t.provider.faults.set({ streamDelayMs: 10 })
    try {
      let settled: (r: ExchangeResult) => void = () => undefined
      const exchanged = new Promise<ExchangeResult>((resolve) => {
        settled = resolve
      })
      const f = t.user.client.fetch(t.provider.providerAddress, { onExchange: (r) => settled(r) })
      const controller = new AbortController()
      const billedBefore = t.provider.unsettledFee(t.user.address)
      const res = await f(`${t.provider.url}/v1/proxy/chat/completions`, {
        method: "POST",
        body: JSON.stringify({
          model: t.provider.model,
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
      expect(t.provider.unsettledFee(t.user.address) - billedBefore).toBe(result.record.fee)
    } finally {
      t.provider.faults.clear()
    }
  })

  it("adds include_usage to streams itself, so the provider never rewrites the signed request", async () => {
    let seen: string | undefined
    const f = t.user.client.fetch(t.provider.providerAddress, { onExchange: (x) => (seen = x.receipt?.requestHash) })
    const body = JSON.stringify({ model: t.provider.model, messages: [{ role: "user", content: "x" }], stream: true })
    const res = await f(`${t.provider.url}/v1/proxy/chat/completions`, { method: "POST", body })
    await res.text()
    expect(seen).toMatch(/^[0-9a-f]{64}$/)
    const { createHash } = await import("node:crypto")
    // What was signed is not the caller's body (it lacked include_usage) but the exact bytes we sent instead.
    expect(seen).not.toBe(createHash("sha256").update(body).digest("hex"))
    // Sent in the broker's canonical form (sorted keys), which its re-encoding leaves as it is.
    const sent = `{"messages":[{"content":"x","role":"user"}],"model":"${t.provider.model}","stream":true,"stream_options":{"include_usage":true}}`
    expect(seen).toBe(createHash("sha256").update(sent).digest("hex"))
  })

  it("makes zero chain calls per request in steady state (streaming and not)", async () => {
    await t.openai.chat.completions.create({ model: t.provider.model, messages: [{ role: "user", content: "warm" }] })
    t.user.rpc.reset()
    for (let i = 0; i < 10; i++) {
      await t.openai.chat.completions.create({
        model: t.provider.model,
        messages: [{ role: "user", content: `n ${i}` }],
      })
      const s = await t.openai.chat.completions.create({
        model: t.provider.model,
        messages: [{ role: "user", content: `s ${i}` }],
        stream: true,
      })
      for await (const _ of s) {
        // drain
      }
    }
    expect(t.user.rpc.methods).toEqual([])
    expect(t.user.rpc.calls).toBe(0)
    // The counter does see chain reads: a fresh service lookup is one eth_call.
    await t.user.client.getService(t.provider.providerAddress)
    expect(t.user.rpc.methods).toContain("eth_call")
  })

  it("refuses to send credentials to a URL outside the provider's service URL", async () => {
    const f = t.user.client.fetch(t.provider.providerAddress)
    await expect(
      f("http://127.0.0.1:9/v1/proxy/chat/completions", { method: "POST", body: "{}" }),
    ).rejects.toMatchObject({
      _tag: "UrlNotForProvider",
    })
  })

  it("settles on chain exactly the fees it recorded", async () => {
    const report = await t.provider.settleNow()
    expect(report.items.every((i) => i.status === 0)).toBe(true)
    expect(report.settled).toBe(t.user.client.usage().total.fee)
    expect(t.provider.unsettledFee(t.user.address)).toBe(0n)
    const summary = t.user.client.usage()
    expect(summary.byModel).toEqual([
      expect.objectContaining({
        provider: t.provider.providerAddress,
        model: t.provider.model,
        requests: summary.total.requests,
      }),
    ])
    expect(summary.total.failed).toBe(0)
  })
})
