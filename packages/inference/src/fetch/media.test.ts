/**
 * Issue 13, row 2: text-to-image, image-editing and speech-to-text through the verifying fetch and the OpenAI client,
 * against emulated providers registered with those service types (real anvil, the emulator over HTTP). Each exchange
 * is verified as the broker signs it (decoded images / the body), billed as the broker bills it, and recorded.
 */
import { createHash } from "node:crypto"
import { DEVNET_TRANSCRIPT, type InferenceProvider } from "@0g-compute/devnet"
import OpenAI, { toFile } from "openai"
import { describe, expect, it } from "vitest"
import { useTestDevnet } from "../testing/fixture.js"
import type { ExchangeResult, InferenceFetchOptions } from "./adapter.js"

const t = useTestDevnet({
  inferenceProviders: 5,
  inferenceBrokers: [
    undefined,
    { serviceType: "text-to-image" },
    { serviceType: "image-editing" },
    { serviceType: "speech-to-text" },
    { serviceType: "text-to-image", providerType: "centralized", providerIdentity: "openai" },
  ],
  ledger: "30",
  acknowledge: { fund: "3" },
})
const chatbot = () => t.at(0)
const painter = () => t.at(1)
const editor = () => t.at(2)
const scribe = () => t.at(3)
const centralPainter = () => t.at(4)

const openai = (p: InferenceProvider, seen: ExchangeResult[], options: InferenceFetchOptions = {}) =>
  new OpenAI({
    baseURL: `${p.url}/v1/proxy`,
    apiKey: "unused",
    maxRetries: 0,
    fetch: t.user.client.fetch(p.providerAddress, { ...options, onExchange: (x) => seen.push(x) }),
  })

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex")
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47]
/** 2.4 s of "audio" as the devnet hears it (16 kHz 16-bit mono): billed as round(2.4) = 2 seconds. */
const AUDIO = new Uint8Array(76_800).fill(7)

describe("service types through the verifying fetch (OpenAI client)", () => {
  it("images.generate: the signature covers the decoded images; bytes-bound; billed per image", async () => {
    const seen: ExchangeResult[] = []
    const before = painter().unsettledFee(t.user.address)
    const out = await openai(painter(), seen).images.generate({ model: painter().model, prompt: "a red cube", n: 2 })
    expect(out.data).toHaveLength(2)
    const images = (out.data ?? []).map((d) => Buffer.from(d.b64_json ?? "", "base64"))
    for (const img of images) expect([...img.subarray(0, 4)]).toEqual(PNG_MAGIC)
    const x = seen[0] as ExchangeResult
    expect(x.error).toBeUndefined()
    expect(x.level).toBe("bytes-bound")
    // The signed text is sha256(request as sent):sha256(img0),sha256(img1) — not the body hash.
    expect(x.receipt?.text.split(":")[1]).toBe(images.map(sha).join(","))
    const billed = painter().unsettledFee(t.user.address) - before
    expect(billed).toBe(2n * painter().outputPrice)
    expect(x.record).toMatchObject({ serviceType: "text-to-image", images: 2, fee: billed, inputFee: 0n })
  })

  it("images.generate on a centralized provider: routing proof over the whole body, bytes-bound", async () => {
    const seen: ExchangeResult[] = []
    const before = centralPainter().unsettledFee(t.user.address)
    await openai(centralPainter(), seen).images.generate({ model: centralPainter().model, prompt: "a blue cone" })
    const x = seen[0] as ExchangeResult
    expect(x.error).toBeUndefined()
    expect(x.level).toBe("bytes-bound")
    expect(x.receipt?.routing?.providerType).toBe("centralized")
    expect(x.record.fee).toBe(centralPainter().unsettledFee(t.user.address) - before)
  })

  it("images.edit (multipart): the request hash is of the exact multipart bytes sent; bytes-bound", async () => {
    const seen: ExchangeResult[] = []
    const before = editor().unsettledFee(t.user.address)
    const source = await toFile(Buffer.from("not really a png, but bytes"), "cat.png", { type: "image/png" })
    const out = await openai(editor(), seen).images.edit({
      model: editor().model,
      image: source,
      prompt: "make it blue",
    })
    expect([...Buffer.from(out.data?.[0]?.b64_json ?? "", "base64").subarray(0, 4)]).toEqual(PNG_MAGIC)
    const x = seen[0] as ExchangeResult
    expect(x.error).toBeUndefined()
    expect(x.level).toBe("bytes-bound")
    expect(x.receipt?.requestHash).toBe(x.receipt?.text.split(":")[0])
    expect(x.record).toMatchObject({ serviceType: "image-editing", images: 1, fee: editor().outputPrice })
    expect(editor().unsettledFee(t.user.address) - before).toBe(editor().outputPrice)
  })

  it("images.edit is billed for the n requested, as the broker bills it, even when fewer images come back", async () => {
    const seen: ExchangeResult[] = []
    const before = editor().unsettledFee(t.user.address)
    const source = await toFile(Buffer.from("bytes"), "cat.png", { type: "image/png" })
    const out = await openai(editor(), seen).images.edit({ model: editor().model, image: source, prompt: "x", n: 12 })
    expect(out.data).toHaveLength(10) // the devnet model renders at most 10
    const x = seen[0] as ExchangeResult
    expect(x.record).toMatchObject({ images: 12, fee: 12n * editor().outputPrice })
    expect(editor().unsettledFee(t.user.address) - before).toBe(x.record.fee)
  })

  it("audio.transcriptions.create (multipart): bytes-bound, billed per audio second at the input price", async () => {
    const seen: ExchangeResult[] = []
    const before = scribe().unsettledFee(t.user.address)
    const file = await toFile(Buffer.from(AUDIO), "speech.wav", { type: "audio/wav" })
    const out = await openai(scribe(), seen).audio.transcriptions.create({ model: scribe().model, file })
    expect(out.text).toBe(DEVNET_TRANSCRIPT)
    const x = seen[0] as ExchangeResult
    expect(x.error).toBeUndefined()
    expect(x.level).toBe("bytes-bound")
    expect(x.record).toMatchObject({ serviceType: "speech-to-text", audioSeconds: 2, fee: 2n * scribe().inputPrice })
    expect(scribe().unsettledFee(t.user.address) - before).toBe(2n * scribe().inputPrice)
  })

  it("hostile provider: a flipped image byte fails verification (ResponseTampered), recorded as billed", async () => {
    const seen: ExchangeResult[] = []
    painter().faults.set({ flipResponseByte: true })
    try {
      const call = openai(painter(), seen).images.generate({ model: painter().model, prompt: "a green ball" })
      await expect(call).rejects.toMatchObject({ cause: { _tag: "ResponseTampered" } })
    } finally {
      painter().faults.clear()
    }
    const x = seen[0] as ExchangeResult
    expect(x.level).toBeUndefined()
    expect(x.record).toMatchObject({ verdict: "ResponseTampered", fee: painter().outputPrice })
  })

  it("a tampered transcription fails verification too", async () => {
    const seen: ExchangeResult[] = []
    scribe().faults.set({ flipResponseByte: true })
    try {
      const file = await toFile(Buffer.from(AUDIO), "speech.wav", { type: "audio/wav" })
      const call = openai(scribe(), seen).audio.transcriptions.create({ model: scribe().model, file })
      await expect(call).rejects.toMatchObject({ cause: { _tag: "ResponseTampered" } })
    } finally {
      scribe().faults.clear()
    }
  })

  it("a route of another service type is refused before anything is sent: no fee", async () => {
    const cases: ReadonlyArray<readonly [InferenceProvider, (c: OpenAI) => Promise<unknown>]> = [
      [chatbot(), (c) => c.images.generate({ model: chatbot().model, prompt: "x" })],
      [
        painter(),
        (c) => c.chat.completions.create({ model: painter().model, messages: [{ role: "user", content: "hi" }] }),
      ],
      [scribe(), (c) => c.images.generate({ model: scribe().model, prompt: "x" })],
      [
        editor(),
        async (c) =>
          c.audio.transcriptions.create({ model: editor().model, file: await toFile(Buffer.from(AUDIO), "a.wav") }),
      ],
    ]
    for (const [p, send] of cases) {
      const seen: ExchangeResult[] = []
      const before = p.unsettledFee(t.user.address)
      await expect(send(openai(p, seen))).rejects.toMatchObject({ cause: { _tag: "ServiceTypeMismatch" } })
      expect(seen).toHaveLength(0)
      expect(p.unsettledFee(t.user.address)).toBe(before)
    }
  })

  it('response_format "url" is refused before anything is sent (its images are not in the signed body)', async () => {
    const before = painter().unsettledFee(t.user.address)
    const call = openai(painter(), []).images.generate({ model: painter().model, prompt: "x", response_format: "url" })
    await expect(call).rejects.toMatchObject({ cause: { _tag: "UnsupportedRequest" } })
    expect(painter().unsettledFee(t.user.address)).toBe(before)
  })

  it("CORS: only headers the broker allows reach the provider (the OpenAI client's x-stainless-* are dropped)", async () => {
    for (const p of [chatbot(), painter()]) p.faults.set({ corsPreflight: true })
    try {
      const seen: ExchangeResult[] = []
      const chat = await openai(chatbot(), seen).chat.completions.create({
        model: chatbot().model,
        messages: [{ role: "user", content: "hello" }],
      })
      expect(chat.choices[0]?.message.content).toBeTypeOf("string")
      await openai(painter(), seen).images.generate({ model: painter().model, prompt: "a cors-safe cat" })
      expect(seen.map((x) => x.level)).toEqual(["bytes-bound", "bytes-bound"])
      // The guard is real: the same provider refuses a request that carries such a header.
      const f = t.user.client.fetch(chatbot().providerAddress)
      const raw = await fetch(`${chatbot().url}/v1/proxy/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-stainless-lang": "js" },
        body: "{}",
      })
      expect(raw.status).toBe(403)
      expect(f.provider).toBe(chatbot().providerAddress)
    } finally {
      for (const p of [chatbot(), painter()]) p.faults.clear()
    }
  })
})
