/**
 * The gateway's image and audio routes on a devnet with a chatbot and one provider per media service type: the OpenAI
 * client pointed at the gateway generates, edits and transcribes through the verifying fetch (level in the headers,
 * fees in the usage report equal to the providers' unsettled fees); chats never go to a media provider.
 */
import { DEVNET_TRANSCRIPT, type InferenceProvider } from "@0g-compute/devnet"
import { MEDIA_PROVIDERS, statusOfUnfinishedBody } from "@0g-compute/devnet/testing"
import { Redacted } from "effect"
import { toFile } from "openai"
import { describe, expect, it } from "vitest"
import { useTestDevnet } from "../../testing/fixture.js"
import { mediaRequestFields } from "./media.js"

const t = useTestDevnet({
  ...MEDIA_PROVIDERS,
  ledger: "20",
  acknowledge: { fund: "3" },
  // The image provider has the best priority: a chat must still skip it.
  gateway: (t) => ({ providers: t.providers.map((p, i) => ({ address: p.providerAddress, priority: i })) }),
  openai: true,
})

describe("gateway media routes", () => {
  it("generates, edits and transcribes, verified; chats skip media providers; fees match the providers'", async () => {
    const [painter, chatbot, editor, scribe] = t.providers as [
      InferenceProvider,
      InferenceProvider,
      InferenceProvider,
      InferenceProvider,
    ]
    const gen = await t.openai.images.generate({ model: "any-image-model", prompt: "a cube", n: 2 }).withResponse()
    expect(gen.data.data).toHaveLength(2)
    expect(gen.response.headers.get("x-zg-provider")).toBe(painter.providerAddress)
    expect(gen.response.headers.get("x-zg-verification-level")).toBe("bytes-bound")

    const image = await toFile(Buffer.from("source image bytes"), "in.png", { type: "image/png" })
    const edit = await t.openai.images.edit({ model: "m", image, prompt: "bluer" }).withResponse()
    expect(edit.response.headers.get("x-zg-provider")).toBe(editor.providerAddress)
    expect(edit.response.headers.get("x-zg-verification-level")).toBe("bytes-bound")

    const file = await toFile(Buffer.alloc(64_000, 1), "a.wav", { type: "audio/wav" })
    const stt = await t.openai.audio.transcriptions.create({ model: "whisper-1", file }).withResponse()
    expect(stt.data.text).toBe(DEVNET_TRANSCRIPT)
    expect(stt.response.headers.get("x-zg-verification-level")).toBe("bytes-bound")

    const chat = await t.openai.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: "hi" }] })
      .withResponse()
    expect(chat.response.headers.get("x-zg-provider")).toBe(chatbot.providerAddress)

    const usage = (await (
      await fetch(`${t.gateway.url}/v1/usage`, {
        headers: { authorization: `Bearer ${Redacted.value(t.gateway.token)}` },
      })
    ).json()) as { total: { requests: number; fee: string } }
    const unsettled = t.providers.reduce((n, p) => n + p.unsettledFee(t.user.address), 0n)
    expect(usage.total.requests).toBe(4)
    expect(BigInt(usage.total.fee)).toBe(unsettled)
    expect(painter.unsettledFee(t.user.address)).toBe(2n * painter.outputPrice)
    expect(scribe.unsettledFee(t.user.address)).toBe(2n * scribe.inputPrice)
  })
})

describe("gateway media: multipart parsed by the platform", () => {
  const encode = async (form: FormData) => {
    const r = new Response(form)
    return { bytes: new Uint8Array(await r.arrayBuffer()), type: r.headers.get("content-type") ?? "" }
  }
  const editForm = (file: BlobPart, n?: string) => {
    const form = new FormData()
    form.set("model", "m")
    form.set("image", new Blob([file]), "in.png")
    form.set("prompt", "bluer")
    if (n !== undefined) form.set("n", n)
    return form
  }

  it("answers a malformed multipart 400 and one declared past the ceiling 413 before reading it; nothing billed", async () => {
    const before = t.providers.map((p) => p.unsettledFee(t.user.address))
    const auth = `Bearer ${Redacted.value(t.gateway.token)}`
    const { bytes, type } = await encode(editForm("source image bytes"))
    const cut = await fetch(`${t.gateway.url}/v1/images/edits`, {
      method: "POST",
      headers: { authorization: auth, "content-type": type },
      body: bytes.subarray(0, bytes.length - 8), // the closing delimiter cut off
    })
    expect(cut.status).toBe(400)
    expect(await cut.json()).toMatchObject({ error: { code: "InvalidMultipartBody" } })
    // a well-formed start; the rest never comes
    const status = await statusOfUnfinishedBody(
      `${t.gateway.url}/v1/images/edits`,
      { authorization: auth, "content-type": type },
      33 * 1024 * 1024,
      bytes,
    )
    expect(status).toBe(413)
    expect(t.providers.map((p) => p.unsettledFee(t.user.address))).toEqual(before)
  })

  it("reserves for at least the n the broker reads from the raw bytes, even when a file's bytes hold that text", async () => {
    const plain = await encode(editForm("source image bytes", "3"))
    expect(await mediaRequestFields(Buffer.from(plain.bytes), plain.type)).toEqual({ model: "m", n: 3 })
    // The broker bills the digits after the first `name="n"` anywhere in the body: here inside the image.
    const hostile = await encode(editForm('name="n"\r\n\r\n40\r\n', "1"))
    expect(await mediaRequestFields(Buffer.from(hostile.bytes), hostile.type)).toEqual({ model: "m", n: 40 })
  })
})
