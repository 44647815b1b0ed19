/**
 * The gateway's image and audio routes on a devnet with a chatbot and one provider per media service type: the OpenAI
 * client pointed at the gateway generates, edits and transcribes through the verifying fetch (level in the headers,
 * fees in the usage report equal to the providers' unsettled fees); chats never go to a media provider.
 */
import { DEVNET_TRANSCRIPT, type Devnet, type InferenceProvider } from "@0g-compute/devnet"
import { Redacted } from "effect"
import OpenAI, { toFile } from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { addLedger, startTestDevnet, type TestUser, userClient } from "../../test-util/fixture.js"
import { type Gateway, startGateway } from "./server.js"

let devnet: Devnet
let user: TestUser
let gateway: Gateway
let openai: OpenAI
let providers: InferenceProvider[]

beforeAll(async () => {
  devnet = await startTestDevnet({
    inferenceProviders: 4,
    inferenceBrokers: [
      { serviceType: "text-to-image" },
      undefined,
      { serviceType: "image-editing" },
      { serviceType: "speech-to-text" },
    ],
  })
  providers = [...devnet.inference]
  user = await userClient(devnet, 0)
  await addLedger(user, "20")
  for (const p of providers) await user.client.acknowledge(p.providerAddress, { allowDevnet: true, fund: "3" })
  // The image provider has the best priority: a chat must still skip it.
  gateway = await startGateway({
    client: user.client,
    providers: providers.map((p, i) => ({ address: p.providerAddress, priority: i })),
  })
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: Redacted.value(gateway.token), maxRetries: 0 })
}, 120_000)
afterAll(async () => {
  await gateway?.stop()
  await user?.close()
  await devnet?.stop()
})

describe("gateway media routes", () => {
  it("generates, edits and transcribes, verified; chats skip media providers; fees match the providers'", async () => {
    const [painter, chatbot, editor, scribe] = providers as [
      InferenceProvider,
      InferenceProvider,
      InferenceProvider,
      InferenceProvider,
    ]
    const gen = await openai.images.generate({ model: "any-image-model", prompt: "a cube", n: 2 }).withResponse()
    expect(gen.data.data).toHaveLength(2)
    expect(gen.response.headers.get("x-zg-provider")).toBe(painter.providerAddress)
    expect(gen.response.headers.get("x-zg-verification-level")).toBe("bytes-bound")

    const image = await toFile(Buffer.from("source image bytes"), "in.png", { type: "image/png" })
    const edit = await openai.images.edit({ model: "m", image, prompt: "bluer" }).withResponse()
    expect(edit.response.headers.get("x-zg-provider")).toBe(editor.providerAddress)
    expect(edit.response.headers.get("x-zg-verification-level")).toBe("bytes-bound")

    const file = await toFile(Buffer.alloc(64_000, 1), "a.wav", { type: "audio/wav" })
    const stt = await openai.audio.transcriptions.create({ model: "whisper-1", file }).withResponse()
    expect(stt.data.text).toBe(DEVNET_TRANSCRIPT)
    expect(stt.response.headers.get("x-zg-verification-level")).toBe("bytes-bound")

    const chat = await openai.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: "hi" }] })
      .withResponse()
    expect(chat.response.headers.get("x-zg-provider")).toBe(chatbot.providerAddress)

    const usage = (await (
      await fetch(`${gateway.url}/v1/usage`, { headers: { authorization: `Bearer ${Redacted.value(gateway.token)}` } })
    ).json()) as { total: { requests: number; fee: string } }
    const unsettled = providers.reduce((n, p) => n + p.unsettledFee(user.address), 0n)
    expect(usage.total.requests).toBe(4)
    expect(BigInt(usage.total.fee)).toBe(unsettled)
    expect(painter.unsettledFee(user.address)).toBe(2n * painter.outputPrice)
    expect(scribe.unsettledFee(user.address)).toBe(2n * scribe.inputPrice)
  })
})
