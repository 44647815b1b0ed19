/**
 * Test-only fault switches, each observed the way a client would notice it, and upstream mode against a second
 * local HTTP server playing an OpenAI-compatible backend.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http"
import { Redacted, Result } from "effect"
import { Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DevnetAccount } from "../accounts.js"
import { useInferenceDevnet } from "../testing/hooks.js"
import { chat, E, fund, signatureOf, signer, sseChunks, token, verify } from "../testing/inference.js"
import { startInferenceProvider } from "./provider.js"
import type { InferenceProvider } from "./types.js"

const t = useInferenceDevnet({ subAccount: E(5) })

const request = (stream: boolean) => ({
  model: t.provider.model,
  messages: [{ role: "user", content: "fault injection test" }],
  ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
})
const failureTag = (r: Result.Result<unknown, { _tag: string }>) => (Result.isFailure(r) ? r.failure._tag : "Verified")

describe("fault switches", () => {
  it("flipResponseByte: valid JSON, valid signer, but the response hash no longer matches", async () => {
    t.provider.faults.set({ flipResponseByte: true })
    try {
      for (const stream of [false, true]) {
        const ex = await chat(t.provider.url, await token(t.user(0), t.provider.providerAddress), request(stream))
        expect(ex.status).toBe(200)
        expect(stream ? sseChunks(ex.text).length : JSON.parse(ex.text).usage.total_tokens).toBeGreaterThan(0)
        expect(failureTag(await verify(t.provider.url, ex, t.provider.teeSignerAddress))).toBe("ResponseHashMismatch")
      }
    } finally {
      t.provider.faults.clear()
    }
    const ok = await chat(t.provider.url, await token(t.user(0), t.provider.providerAddress), request(false))
    expect(failureTag(await verify(t.provider.url, ok, t.provider.teeSignerAddress))).toBe("Verified")
  })

  it("wrongSigner: the signature recovers to another address", async () => {
    t.provider.faults.set({ wrongSigner: true })
    const ex = await chat(t.provider.url, await token(t.user(0), t.provider.providerAddress), request(true))
    t.provider.faults.set({ wrongSigner: false })
    expect(failureTag(await verify(t.provider.url, ex, t.provider.teeSignerAddress))).toBe("SignerMismatch")
  })

  it("dropSignature: the response is fine and billed but its signature is a 404", async () => {
    t.provider.faults.set({ dropSignature: true })
    const before = t.provider.unsettledFee(await t.user(0).getAddress())
    const ex = await chat(t.provider.url, await token(t.user(0), t.provider.providerAddress), request(false))
    t.provider.faults.clear()
    expect(ex.status).toBe(200)
    expect((await signatureOf(t.provider.url, ex.chatId)).status).toBe(404)
    expect(failureTag(await verify(t.provider.url, ex, t.provider.teeSignerAddress))).toBe("SignatureMissing")
    expect(t.provider.unsettledFee(await t.user(0).getAddress())).toBeGreaterThan(before)
  })

  it("failMidStream: an SSE error event and no [DONE]; a 500 for non-streams; nothing billed or signed", async () => {
    const address = await t.user(0).getAddress()
    const before = t.provider.unsettledFee(address)
    t.provider.faults.set({ failMidStream: true })
    const streamed = await chat(t.provider.url, await token(t.user(0), t.provider.providerAddress), request(true))
    const plain = await chat(t.provider.url, await token(t.user(0), t.provider.providerAddress), request(false))
    t.provider.faults.clear()
    expect(streamed.status).toBe(200)
    expect(streamed.text).not.toContain("[DONE]")
    expect(sseChunks(streamed.text).at(-1)).toEqual({ error: expect.objectContaining({ code: 500 }) })
    expect((await signatureOf(t.provider.url, streamed.chatId)).status).toBe(404)
    expect(plain.status).toBe(500)
    expect(JSON.parse(plain.text)).toEqual({ error: "Internal Server Error" })
    expect(t.provider.unsettledFee(address)).toBe(before)
  })

  it("streamDelayMs: chunks trickle in, and the signature exists only once the last byte is on its way", async () => {
    t.provider.faults.set({ streamDelayMs: 150 })
    const auth = await token(t.user(0), t.provider.providerAddress)
    const body = JSON.stringify(request(true))
    const res = await fetch(`${t.provider.url}/v1/proxy/chat/completions`, {
      method: "POST",
      headers: { authorization: auth.authorization, "content-type": "application/json" },
      body,
    })
    t.provider.faults.clear() // the running response keeps the faults it started with
    const chatId = res.headers.get("zg-res-key")
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toMatch(/^data: /)
    // The server is still sleeping between chunks: nothing is signed yet.
    expect((await signatureOf(t.provider.url, chatId)).status).toBe(404)
    const parts = [first.value as Uint8Array]
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value)
    const bytes = new Uint8Array(Buffer.concat(parts))
    expect(new TextDecoder().decode(bytes).endsWith("data: [DONE]\n\n")).toBe(true)
    const ex = { status: res.status, headers: res.headers, requestBytes: body, bytes, text: "", chatId }
    expect(failureTag(await verify(t.provider.url, ex, t.provider.teeSignerAddress))).toBe("Verified")
  })
})

describe("upstream mode", () => {
  let upstream: Server
  let upstreamUrl: string
  let proxy: InferenceProvider
  const received: Array<{ body: string; headers: IncomingHttpHeaders }> = []
  const NON_STREAM =
    '{"id":"up-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"from upstream"},"finish_reason":"stop"}],"usage":{"prompt_tokens":7,"completion_tokens":5,"total_tokens":12}}'
  const STREAM = [
    'data: {"id":"up-2","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"up"}}]}\n\n',
    'data: {"id":"up-2","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":9,"total_tokens":11}}\n\n',
    "data: [DONE]\n\n",
  ]

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8")
        received.push({ body, headers: req.headers })
        const json = JSON.parse(body) as { model: string; stream?: boolean }
        if (req.url !== "/v1/chat/completions" || json.model !== "upstream-model") {
          res.writeHead(404, { "content-type": "application/json", "x-upstream": "yes" })
          return res.end('{"error":{"message":"no such model","code":"model_not_found"}}')
        }
        if (json.stream !== true) {
          res.writeHead(200, { "content-type": "application/json" })
          return res.end(NON_STREAM)
        }
        res.writeHead(200, { "content-type": "text/event-stream" })
        for (const c of STREAM) res.write(c)
        res.end()
      })
    })
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve))
    const address = upstream.address()
    upstreamUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/v1`
    proxy = await startInferenceProvider({
      rpcUrl: t.devnet.rpcUrl,
      contract: t.devnet.addresses.inference,
      providerKey: (t.devnet.accounts.users[4] as DevnetAccount).privateKey,
      teeKey: Redacted.make(Wallet.createRandom().privateKey),
      model: "upstream-model",
      inputPrice: 3n,
      outputPrice: 11n,
      upstream: upstreamUrl,
      settleIntervalMs: 0,
      acknowledgeWith: signer(t.devnet.accounts.deployer, t.rpc),
    })
    await fund(t.devnet, t.user(0), proxy.providerAddress, E(2))
  })
  afterAll(async () => {
    await proxy?.stop()
    await new Promise((resolve) => upstream?.close(resolve))
  })

  it("relays the upstream bytes verbatim, bills its usage at on-chain prices and signs the exchange", async () => {
    const address = await t.user(0).getAddress()
    const auth = await token(t.user(0), proxy.providerAddress)
    const body = { model: "upstream-model", messages: [{ role: "user", content: "hi" }] }
    const ex = await chat(proxy.url, auth, body)
    expect(ex.status).toBe(200)
    expect(ex.text).toBe(NON_STREAM)
    expect(received.at(-1)?.body).toBe(ex.requestBytes)
    expect(received.at(-1)?.headers.authorization).toBeUndefined()
    expect(proxy.unsettledFee(address)).toBe(7n * 3n + 5n * 11n)
    expect(failureTag(await verify(proxy.url, ex, proxy.teeSignerAddress))).toBe("Verified")

    const streamed = await chat(proxy.url, auth, { ...body, stream: true })
    expect(streamed.text).toBe(STREAM.join(""))
    expect(JSON.parse(received.at(-1)?.body ?? "{}").stream_options).toEqual({ include_usage: true })
    expect(proxy.unsettledFee(address)).toBe(7n * 3n + 5n * 11n + 2n * 3n + 9n * 11n)
    const verdict = await verify(proxy.url, streamed, proxy.teeSignerAddress, received.at(-1)?.body)
    expect(failureTag(verdict)).toBe("Verified")
  })

  it("passes upstream errors through with status and body, unbilled and unsigned", async () => {
    const address = await t.user(0).getAddress()
    const before = proxy.unsettledFee(address)
    const ex = await chat(proxy.url, await token(t.user(0), proxy.providerAddress), { model: "other", messages: [] })
    expect(ex.status).toBe(404)
    expect(ex.headers.get("x-upstream")).toBe("yes")
    expect(ex.text).toBe('{"error":{"message":"no such model","code":"model_not_found"}}')
    expect(ex.chatId).toBeNull()
    expect(proxy.unsettledFee(address)).toBe(before)
  })
})
