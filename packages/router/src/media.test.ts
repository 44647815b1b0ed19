/**
 * The router's image and audio routes on a devnet with one provider per media service type and a chatbot (real anvil,
 * contracts and emulated 2026 brokers over HTTP; PGlite in memory): an OpenAI client with a virtual key generates,
 * edits and transcribes through the verifying fetch; each request is reserved, settled to the fee the provider
 * recorded, and logged with its verification level; scopes, budgets and revocation hold on these routes too.
 */
import { formatZG } from "@0g-compute/core"
import { useStarted } from "@0g-compute/core/testing/hooks"
import { DEVNET_TRANSCRIPT, type InferenceProvider } from "@0g-compute/devnet"
import { MEDIA_PROVIDERS } from "@0g-compute/devnet/testing"
import OpenAI, { toFile } from "openai"
import { describe, expect, it } from "vitest"
import { startRouter } from "./router.js"
import { adminApi } from "./testing/admin.js"
import { startRouterNetwork } from "./testing/network.js"

const ADMIN = "admin-token-for-media-tests"
const env = useStarted(async (onStop) => {
  const net = await startRouterNetwork(MEDIA_PROVIDERS)
  onStop(() => net.stop())
  const [painter, chatbot, editor, scribe] = net.devnet.inference as [
    InferenceProvider,
    InferenceProvider,
    InferenceProvider,
    InferenceProvider,
  ]
  // The image provider comes first: a chat must still skip it.
  const router = await startRouter({
    client: net.client,
    providers: net.devnet.inference.map((p) => p.providerAddress),
    adminToken: ADMIN,
  })
  onStop(() => router.stop())
  return { net, router, painter, chatbot, editor, scribe, user: net.user }
}, 180_000)

const { admin, createKey } = adminApi(() => env.router.url, ADMIN, "media")

interface LoggedRow {
  provider: string
  model: string
  fee: string
  reserved: string
  verification: string | null
  verdict: string
  status: number
}
const requestsOf = async (keyId: string) =>
  ((await (await admin(`/admin/requests?key=${keyId}`)).json()) as { data: LoggedRow[] }).data
const keyOf = async (id: string) =>
  ((await (await admin(`/admin/keys/${id}`)).json()) as { key: { spent: { total: string }; reserved: string } }).key

const openaiFor = (secret: string) => new OpenAI({ baseURL: `${env.router.url}/v1`, apiKey: secret, maxRetries: 0 })
const audio = () => toFile(Buffer.alloc(64_000, 1), "a.wav", { type: "audio/wav" })
const generate = (secret: string, body: Record<string, unknown>) =>
  fetch(`${env.router.url}/v1/images/generations`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "any-image-model", prompt: "a cube", ...body }),
  })

describe("router image and audio routes", () => {
  it("generates, edits and transcribes verified; reserves, settles and logs each; chats skip media providers", async () => {
    const { net, painter, chatbot, editor, scribe, user } = env
    const { key, secret } = await createKey({ budget: { total: "5" } })
    const openai = openaiFor(secret)
    const gen = await openai.images.generate({ model: "any-image-model", prompt: "a cube", n: 2 }).withResponse()
    expect(gen.data.data).toHaveLength(2)
    expect(gen.response.headers.get("x-0g-provider")).toBe(painter.providerAddress)
    expect(gen.response.headers.get("x-0g-verification")).toBe("bytes-bound")
    expect(gen.response.headers.get("x-0g-key")).toBe(key.id)

    const image = await toFile(Buffer.from("source image bytes"), "in.png", { type: "image/png" })
    const edit = await openai.images.edit({ model: "m", image, prompt: "bluer" }).withResponse()
    expect(edit.response.headers.get("x-0g-provider")).toBe(editor.providerAddress)
    expect(edit.response.headers.get("x-0g-verification")).toBe("bytes-bound")

    const stt = await openai.audio.transcriptions.create({ model: "whisper-1", file: await audio() }).withResponse()
    expect(stt.data.text).toBe(DEVNET_TRANSCRIPT)
    expect(stt.response.headers.get("x-0g-provider")).toBe(scribe.providerAddress)
    expect(stt.response.headers.get("x-0g-verification")).toBe("bytes-bound")

    const chat = await openai.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: "hi" }], max_tokens: 20 })
      .withResponse()
    expect(chat.response.headers.get("x-0g-provider")).toBe(chatbot.providerAddress)

    const rows = await requestsOf(key.id)
    expect(rows.map((r) => [r.provider, r.status, r.verdict, r.verification])).toEqual([
      [chatbot.providerAddress, 200, "Verified", "bytes-bound"],
      [scribe.providerAddress, 200, "Verified", "bytes-bound"],
      [editor.providerAddress, 200, "Verified", "bytes-bound"],
      [painter.providerAddress, 200, "Verified", "bytes-bound"],
    ])
    const byProvider = (p: InferenceProvider) => rows.find((r) => r.provider === p.providerAddress) as LoggedRow
    // Reserved: n images at the output price; an hour of audio at the input price. Settled: what each provider billed.
    expect(byProvider(painter).reserved).toBe(formatZG(2n * painter.outputPrice))
    expect(byProvider(painter).fee).toBe(formatZG(painter.unsettledFee(user)))
    expect(painter.unsettledFee(user)).toBe(2n * painter.outputPrice)
    expect(byProvider(editor).fee).toBe(formatZG(editor.unsettledFee(user)))
    expect(byProvider(scribe).reserved).toBe(formatZG(3600n * scribe.inputPrice))
    expect(byProvider(scribe).fee).toBe(formatZG(scribe.unsettledFee(user)))
    expect(scribe.unsettledFee(user)).toBe(2n * scribe.inputPrice) // 64 000 bytes of 16 kHz 16-bit audio: 2 s
    const spent = net.devnet.inference.reduce((n, p) => n + p.unsettledFee(user), 0n)
    const k = await keyOf(key.id)
    expect(k.spent.total).toBe(formatZG(spent))
    expect(k.reserved).toBe("0")
  })

  it("a media request whose maximum cost does not fit the budget is refused before anything is sent", async () => {
    const { painter, scribe, user } = env
    // Enough for one image, not for an hour of audio.
    const { key, secret } = await createKey({ budget: { total: formatZG(painter.outputPrice * 3n) } })
    expect(scribe.inputPrice * 3600n).toBeGreaterThan(painter.outputPrice * 3n)
    const before = scribe.unsettledFee(user)
    const refused = await openaiFor(secret)
      .audio.transcriptions.create({ model: "whisper-1", file: await audio() })
      .then(
        () => undefined,
        (e: unknown) => e as { status: number; code: string },
      )
    expect(refused?.status).toBe(402)
    expect(refused?.code).toBe("KeyBudgetExceeded")
    expect(scribe.unsettledFee(user)).toBe(before)
    // Four images would overshoot too; two fit.
    expect((await generate(secret, { n: 4 })).status).toBe(402)
    const ok = await generate(secret, { n: 2 })
    expect(ok.status).toBe(200)
    expect((await requestsOf(key.id)).map((r) => r.fee)).toEqual([formatZG(2n * painter.outputPrice)])
  })

  it("model and provider scopes, the provider routing field, and revocation apply to media routes", async () => {
    const { painter, chatbot } = env
    const chatOnly = await createKey({ models: ["devnet-echo-1"] })
    const denied = await generate(chatOnly.secret, {})
    expect(denied.status).toBe(403)
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe("KeyScopeDenied")
    const chatProvider = await createKey({ providers: [chatbot.providerAddress] })
    expect((await generate(chatProvider.secret, {})).status).toBe(403)

    const { key, secret } = await createKey({})
    // A pin within scope is honoured (the field is taken out of the JSON body, as for chats); a malformed one is a 400.
    const pinned = await generate(secret, { provider: { order: [painter.providerAddress], allow_fallbacks: false } })
    expect(pinned.status).toBe(200)
    expect(pinned.headers.get("x-0g-verification")).toBe("bytes-bound")
    const badPrefs = await generate(secret, { provider: { sort: "fastest" } })
    expect(badPrefs.status).toBe(400)

    expect((await admin(`/admin/keys/${key.id}`, { method: "DELETE" })).status).toBe(200)
    const revoked = await generate(secret, {})
    expect(revoked.status).toBe(401)
    expect(((await revoked.json()) as { error: { code: string } }).error.code).toBe("KeyRejected")
    expect((await requestsOf(key.id)).length).toBe(1)
  })
})
