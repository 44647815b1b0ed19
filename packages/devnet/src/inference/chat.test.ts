/**
 * The emulated provider end to end on a real devnet: registration, quote, models, chat (non-stream and stream,
 * both paths), headers and CORS, verified signatures, the unsettled-fee ledger and on-chain settlement.
 */
import { contractInterfaces } from "@0g-compute/contracts"
import { Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { useInferenceDevnet } from "../testing/hooks.js"
import {
  chat,
  E,
  type Exchange,
  fund,
  getJson,
  serving,
  signatureOf,
  sseChunks,
  token,
  UUID_V4,
  verify,
} from "../testing/inference.js"
import type { InferenceProvider } from "./types.js"

const t = useInferenceDevnet({ inferenceProviders: 2, subAccount: E(2) })
let userAddress: string
let billed = 0n
beforeAll(async () => {
  userAddress = await t.user(0).getAddress()
})

const feeOf = (usage: { prompt_tokens: number; completion_tokens: number }, provider = t.provider) =>
  BigInt(usage.prompt_tokens) * provider.inputPrice + BigInt(usage.completion_tokens) * provider.outputPrice

const completion = (messages: string) => ({ model: t.provider.model, messages: [{ role: "user", content: messages }] })

describe("registration and discovery", () => {
  it("registers each provider with its real URL, TeeML, valid additionalInfo, distinct prices, acknowledged", async () => {
    expect(t.devnet.inference).toHaveLength(2)
    const seen = new Set<bigint>()
    for (const [i, provider] of t.devnet.inference.entries()) {
      const s = await serving(t.devnet, t.rpc).getService(provider.providerAddress)
      expect(s.url).toBe(provider.url)
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(t.devnet.services.inference[i]?.url).toBe(provider.url)
      expect(t.devnet.services.inference[i]?.provider.address).toBe(provider.providerAddress)
      expect(s.verifiability).toBe("TeeML")
      expect(s.teeSignerAddress).toBe(provider.teeSignerAddress)
      expect(s.teeSignerAddress).not.toBe(provider.providerAddress)
      expect(s.teeSignerAcknowledged).toBe(true)
      expect(JSON.parse(s.additionalInfo)).toMatchObject({ TargetSeparated: false })
      expect([s.inputPrice, s.outputPrice]).toEqual([provider.inputPrice, provider.outputPrice])
      seen.add(s.inputPrice)
    }
    expect(seen.size).toBe(2)
  })

  it("serves a devnet quote whose report_data binds the TEE signer and whose compose hash matches", async () => {
    const { status, body } = await getJson(`${t.provider.url}/v1/quote`)
    expect(status).toBe(200)
    expect(body.devnet).toBe(true)
    const bound = Buffer.from(body.report_data as string, "base64")
      .toString("latin1")
      .replace(/\0+$/, "")
    expect(bound).toBe(t.provider.teeSignerAddress)
    const compose = (body.tcb_info as { app_compose: string }).app_compose
    const { createHash } = await import("node:crypto")
    const event = (body.event_log as Array<{ event: string; event_payload: string }>).find(
      (e) => e.event === "compose-hash",
    )
    expect(event?.event_payload).toBe(createHash("sha256").update(compose).digest("hex"))
    const gpu = await fetch(`${t.provider.url}/v1/quote/verify/gpu`, { method: "POST", body: "{}" })
    expect(gpu.status).toBe(200)
  })

  it("lists its model with on-chain prices", async () => {
    const { status, body } = await getJson(`${t.provider.url}/v1/models`)
    expect(status).toBe(200)
    expect(body.data).toEqual([
      expect.objectContaining({
        id: t.provider.model,
        pricing: { prompt: String(t.provider.inputPrice), completion: String(t.provider.outputPrice) },
      }),
    ])
  })
})

describe("chat", () => {
  const expectProviderHeaders = (ex: Exchange) => {
    expect(ex.chatId).toMatch(UUID_V4)
    expect(ex.headers.get("provider")).toBe(t.provider.providerAddress)
    expect(ex.headers.get("access-control-allow-origin")).toBe("*")
    expect(ex.headers.get("access-control-expose-headers")).toContain("ZG-Res-Key")
  }

  it("answers a non-stream completion with usage and a signature that verifies against the on-chain signer", async () => {
    const auth = await token(t.user(0), t.provider.providerAddress)
    const ex = await chat(t.provider.url, auth, completion("hello there devnet"))
    expect(ex.status).toBe(200)
    expectProviderHeaders(ex)
    const body = JSON.parse(ex.text)
    expect(body.object).toBe("chat.completion")
    expect(body.choices[0].message.content).toBe("Echo: hello there devnet")
    expect(body.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 })
    billed += feeOf(body.usage)
    const onChain = await serving(t.devnet, t.rpc).getService(t.provider.providerAddress)
    const verdict = await verify(t.provider.url, ex, onChain.teeSignerAddress)
    expect(Result.isSuccess(verdict) && verdict.success._tag).toBe("Verified")
  })

  it("streams SSE chunks, a final usage chunk and [DONE]; forces include_usage and signs the rewritten request", async () => {
    const auth = await token(t.user(0), t.provider.providerAddress)
    const request = { ...completion("stream me please"), stream: true }
    const ex = await chat(t.provider.url, auth, request)
    expect(ex.status).toBe(200)
    expect(ex.headers.get("content-type")).toContain("text/event-stream")
    expectProviderHeaders(ex)
    expect(ex.text.endsWith("data: [DONE]\n\n")).toBe(true)
    const chunks = sseChunks(ex.text)
    const content = chunks
      .flatMap((c) => (c.choices as Array<{ delta?: { content?: string } }>).map((x) => x.delta?.content ?? ""))
      .join("")
    expect(content).toBe("Echo: stream me please")
    const last = chunks.at(-1) as { choices: unknown[]; usage: { prompt_tokens: number; completion_tokens: number } }
    expect(last.choices).toEqual([])
    expect(last.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 })
    billed += feeOf(last.usage)
    // The provider re-serialised our body with stream_options.include_usage: our bytes are not what it signed.
    const ours = await verify(t.provider.url, ex, t.provider.teeSignerAddress)
    expect(Result.isFailure(ours) && ours.failure._tag).toBe("RequestHashMismatch")
    const rewritten = JSON.stringify({ ...request, stream_options: { include_usage: true } })
    const verdict = await verify(t.provider.url, ex, t.provider.teeSignerAddress, rewritten)
    expect(Result.isSuccess(verdict)).toBe(true)
  })

  it("signs the exact bytes when the stream already asks for usage, also on the /v1/proxy/v1 alias", async () => {
    const auth = await token(t.user(0), t.provider.providerAddress)
    const request = { ...completion("alias path"), stream: true, stream_options: { include_usage: true } }
    const ex = await chat(t.provider.url, auth, request, "/v1/proxy/v1/chat/completions")
    expect(ex.status).toBe(200)
    const usage = sseChunks(ex.text).at(-1)?.usage as { prompt_tokens: number; completion_tokens: number }
    billed += feeOf(usage)
    const verdict = await verify(t.provider.url, ex, t.provider.teeSignerAddress)
    expect(Result.isSuccess(verdict)).toBe(true)
  })

  it("bills another provider at its own prices", async () => {
    const q = t.devnet.inference[1] as InferenceProvider
    await fund(t.devnet, t.user(0), q.providerAddress, E(1.5))
    const ex = await chat(q.url, await token(t.user(0), q.providerAddress), { ...completion("second"), model: q.model })
    expect(ex.status).toBe(200)
    const fee = feeOf(JSON.parse(ex.text).usage, q)
    expect(q.unsettledFee(userAddress)).toBe(fee)
    expect(fee).not.toBe(feeOf(JSON.parse(ex.text).usage))
  })

  it("answers CORS preflights, 404 on a signature miss, 400 on unsupported proxy routes, 404 on unknown models", async () => {
    const pre = await fetch(`${t.provider.url}/v1/proxy/chat/completions`, {
      method: "OPTIONS",
      headers: { origin: "http://app.example", "access-control-request-headers": "authorization,content-type" },
    })
    expect(pre.status).toBe(204)
    expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization")
    const miss = await signatureOf(t.provider.url, "00000000-0000-4000-8000-000000000000")
    expect(miss.status).toBe(404)
    expect(String(miss.body.error)).toContain("chat_id_not_found")
    const other = await chat(
      t.provider.url,
      await token(t.user(0), t.provider.providerAddress),
      {},
      "/v1/proxy/embeddings",
    )
    expect(other.status).toBe(400)
    expect(JSON.parse(other.text).error).toContain("endpoint not supported")
    const unknown = await chat(t.provider.url, await token(t.user(0), t.provider.providerAddress), {
      ...completion("x"),
      model: "nope",
    })
    expect(unknown.status).toBe(404)
    expect(unknown.chatId).toBeNull()
  })
})

describe("fees and settlement", () => {
  it("reports the sum of request fees as the unsettled fee, to the token's own address only", async () => {
    const auth = await token(t.user(0), t.provider.providerAddress)
    const res = await getJson(`${t.provider.url}/v1/user/${userAddress}/unsettledfee`, auth.authorization)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ userAddress, unsettledFee: billed.toString() })
    expect(t.provider.unsettledFee(userAddress)).toBe(billed)
    const other = await getJson(
      `${t.provider.url}/v1/user/${t.devnet.accounts.users[1]?.address}/unsettledfee`,
      auth.authorization,
    )
    expect(other.status).toBe(403)
  })

  it("settles exactly the unsettled fee on chain with settleNow, once even when asked twice at once", async () => {
    const contract = serving(t.devnet, t.rpc)
    const before = await contract.getAccount(userAddress, t.provider.providerAddress)
    const [report, again] = await Promise.all([t.provider.settleNow(), t.provider.settleNow()])
    expect(again.items).toEqual([])
    expect(report.settled).toBe(billed)
    expect(report.items).toEqual([
      expect.objectContaining({ user: userAddress, status: 0, settledAmount: billed, unsettledAmount: 0n }),
    ])
    const receipt = await t.rpc.getTransactionReceipt(report.txHashes[0] as string)
    const events = (receipt?.logs ?? [])
      .map((l) => contractInterfaces.InferenceServing.parseLog(l))
      .filter((e) => e?.name === "TEESettlementResult")
    expect(events.map((e) => [e?.args[0], Number(e?.args[1]), e?.args[2]])).toEqual([[userAddress, 0, 0n]])
    const after = await contract.getAccount(userAddress, t.provider.providerAddress)
    expect(before.balance - after.balance).toBe(billed)
    expect(after.nonce).toBe(report.items[0]?.nonce)
    expect(after.nonce).toBeGreaterThan(before.nonce)
    expect(t.provider.unsettledFee(userAddress)).toBe(0n)
  })
})
