/**
 * Issue 13, rows 1, 3, 4, 5, 6, 9: the client against emulated providers that behave as the 2026 broker (real anvil,
 * real contracts, the emulator over HTTP). Each exchange carries a verification level; a refused call bills nothing.
 */
import { createSessionToken } from "@0g-compute/crypto"
import { DEVNET_TLS_FINGERPRINT, type InferenceProvider } from "@0g-compute/devnet"
import { Effect, Redacted } from "effect"
import { getBytes, keccak256, toUtf8Bytes, Wallet } from "ethers"
import { describe, expect, it } from "vitest"
import { userClient, useTestDevnet } from "../testing/fixture.js"
import type { ExchangeResult, InferenceFetchOptions } from "./adapter.js"

const UPSTREAM_MODEL = "upstream-echo-1"

const t = useTestDevnet({
  inferenceProviders: 5,
  inferenceBrokers: [
    { noisyUpstream: true },
    { providerType: "centralized", providerIdentity: "openai" },
    { providerType: "standard" },
    { upstreamModel: UPSTREAM_MODEL },
    { omitResKey: true },
  ],
  ledger: "30",
  // The standard provider (2) cannot be verified: it needs the opt-in.
  acknowledge: (_, i) => ({ fund: "3", ...(i === 2 ? { allowUnverified: true } : {}) }),
})
const noisy = () => t.at(0)
const centralized = () => t.at(1)
const standard = () => t.at(2)
const mapped = () => t.at(3)
const keyless = () => t.at(4)

/** One chat through the verifying fetch; resolves with the response text and the exchange it recorded. */
const chat = async (
  p: InferenceProvider,
  body: Record<string, unknown>,
  options: InferenceFetchOptions = {},
): Promise<{ response: Response; text: string; exchange: ExchangeResult; billed: bigint }> => {
  const before = p.unsettledFee(t.user.address)
  let exchange: ExchangeResult | undefined
  const f = t.user.client.fetch(p.providerAddress, { ...options, onExchange: (x) => (exchange = x) })
  const response = await f(`${p.url}/v1/proxy/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: "a <b> & c" }], model: p.model, ...body }),
  })
  const text = await response.text()
  if (exchange === undefined) throw new Error("no exchange recorded")
  return { response, text, exchange, billed: p.unsettledFee(t.user.address) - before }
}

describe("2026 broker: verification levels per provider type", () => {
  it("rows 1, 5: a centralized provider (separated, empty TargetTeeAddress) verifies against the broker TEE's routing proof", async () => {
    const view = await t.user.client.getService(centralized().providerAddress)
    expect(view).toMatchObject({ providerType: "centralized", separated: true, notVerifiableReason: undefined })
    expect(view.expectedSigner).toBe(centralized().teeSignerAddress)
    for (const stream of [false, true]) {
      const { exchange, billed } = await chat(centralized(), { stream })
      expect(exchange.error).toBeUndefined()
      expect(exchange.level).toBe("bytes-bound")
      expect(exchange.receipt?.signer).toBe(centralized().teeSignerAddress)
      expect(exchange.receipt?.routing).toEqual({
        providerType: "centralized",
        providerIdentity: "openai",
        tlsCertFingerprint: DEVNET_TLS_FINGERPRINT,
      })
      expect(exchange.record.level).toBe("bytes-bound")
      expect(exchange.record.fee).toBe(billed)
      expect(billed).toBeGreaterThan(0n)
    }
  })

  it("rows 1, 5 (hostile): a tampered body, a forged upstream identity or a foreign signer fails verification", async () => {
    const cases = [
      [{ flipResponseByte: true }, "ResponseTampered"],
      [{ forgeRoutingIdentity: "anthropic" }, "MalformedResponseSignature"],
      [{ wrongSigner: true }, "WrongResponseSigner"],
    ] as const
    for (const [fault, tag] of cases) {
      centralized().faults.set(fault)
      try {
        const f = t.user.client.fetch(centralized().providerAddress)
        const body = JSON.stringify({ model: centralized().model, messages: [{ role: "user", content: "x" }] })
        const sent = f(`${centralized().url}/v1/proxy/chat/completions`, { method: "POST", body })
        await expect(sent).rejects.toMatchObject({ _tag: tag })
        expect(t.user.client.usageRecords().at(-1)).toMatchObject({ verdict: tag })
        expect(t.user.client.usageRecords().at(-1)?.level).toBeUndefined()
      } finally {
        centralized().faults.clear()
      }
    }
  })

  it("row 3: a rewrite the client can reproduce stays bytes-bound; an undocumented one is signer-bound with the reason", async () => {
    // EnforceConfiguredModel forwards (and signs) `model` as the provider's upstream id.
    const unknown = await chat(mapped(), { stream: true })
    expect(unknown.exchange.error).toBeUndefined()
    expect(unknown.exchange.level).toBe("signer-bound")
    expect(unknown.exchange.receipt?.unbound).toMatch(/^request: the signed request hash/)
    expect(unknown.exchange.record.fee).toBe(unknown.billed)
    const documented = await chat(mapped(), { stream: true }, { upstreamModel: UPSTREAM_MODEL })
    expect(documented.exchange.level).toBe("bytes-bound")
    expect(documented.exchange.receipt?.unbound).toBeUndefined()
    // Strict callers can still refuse the unbound request half.
    const strict = await userClient(t.devnet, 0, { requireRequestBinding: true })
    try {
      const f = strict.client.fetch(mapped().providerAddress)
      const body = JSON.stringify({ model: mapped().model, messages: [{ role: "user", content: "x" }] })
      await expect(f(`${mapped().url}/v1/proxy/chat/completions`, { method: "POST", body })).rejects.toMatchObject({
        _tag: "RequestAltered",
      })
    } finally {
      await strict.close()
    }
  })

  it("row 4: without ZG-Res-Key the signature is found under the chat key in the body id chatcmpl-<chatKey>", async () => {
    for (const stream of [false, true]) {
      const { response, text, exchange } = await chat(keyless(), { stream })
      expect(response.headers.get("zg-res-key")).toBeNull()
      const id = /"id":"(chatcmpl-[0-9a-f-]{36})"/.exec(text)?.[1]
      expect(id).toBeDefined()
      expect(exchange.error).toBeUndefined()
      expect(exchange.level).toBe("bytes-bound")
      expect(exchange.record.chatId).toBe(id?.slice("chatcmpl-".length))
    }
  })

  it("row 6: a standard provider is refused before any fee without the opt-in, and unverifiable with it", async () => {
    const view = await t.user.client.getService(standard().providerAddress)
    expect(view.providerType).toBe("standard")
    const balance = (await t.user.client.fundingStatus(standard().providerAddress)).balance
    const records = t.user.client.usageRecords().length
    const f = t.user.client.fetch(standard().providerAddress)
    const body = JSON.stringify({ model: standard().model, messages: [{ role: "user", content: "x" }] })
    await expect(f(`${standard().url}/v1/proxy/chat/completions`, { method: "POST", body })).rejects.toMatchObject({
      _tag: "ServiceNotVerifiable",
    })
    expect(standard().unsettledFee(t.user.address)).toBe(0n)
    expect((await t.user.client.fundingStatus(standard().providerAddress)).balance).toBe(balance)
    expect(t.user.client.usageRecords().length).toBe(records)

    const { response, exchange, billed } = await chat(standard(), {}, { allowUnverifiable: true })
    expect(response.headers.get("x-zg-verification-level")).toBe("unverifiable")
    expect(exchange).toMatchObject({ level: "unverifiable", receipt: undefined, error: undefined })
    expect(exchange.record).toMatchObject({ level: "unverifiable", verdict: "Unverifiable" })
    expect(exchange.record.fee).toBe(billed)
    expect(billed).toBeGreaterThan(0n)
  })

  it("row 9: comments, leak headers and fields never reach the client; the signed bytes are the ones received", async () => {
    const { response, text, exchange, billed } = await chat(noisy(), { stream: true })
    for (const h of ["server", "x-openrouter-id", "openai-organization", "cf-ray"])
      expect(response.headers.get(h)).toBeNull()
    expect(text).not.toContain("OPENROUTER")
    expect(text).toContain('"usage":{}') // the upstream's trailing all-zero usage reaches the client…
    expect(exchange.level).toBe("bytes-bound")
    // …but does not zero the record: it bills what the provider bills.
    expect(exchange.record.promptTokens).toBeGreaterThan(0)
    expect(exchange.record.completionTokens).toBeGreaterThan(0)
    expect(exchange.record.fee).toBe(billed)
    const ids = new Set([...text.matchAll(/"id":"([^"]+)"/g)].map((m) => m[1]))
    expect([...ids]).toEqual([`chatcmpl-${exchange.record.chatId}`])

    const plain = await chat(noisy(), { stream: false })
    expect(plain.text).not.toMatch(/"provider"|"cost"/)
    expect(plain.exchange.level).toBe("bytes-bound")

    // An explicit include_usage:false is left alone by the broker, so the request hash stays exact.
    const off = await chat(noisy(), { stream: true, stream_options: { include_usage: false } })
    expect(off.exchange.level).toBe("bytes-bound")
  })

  it("row 9: 400 for session failures and unknown chat ids; token JSON read leniently", async () => {
    const unknown = await fetch(`${noisy().url}/v1/proxy/signature/00000000-0000-4000-8000-000000000000`)
    expect(unknown.status).toBe(400)
    expect(await unknown.text()).toContain("chat_id_not_found")
    const body = JSON.stringify({ model: noisy().model, messages: [{ role: "user", content: "x" }] })
    const url = `${noisy().url}/v1/proxy/chat/completions`
    const anonymous = await fetch(url, { method: "POST", body })
    expect(anonymous.status).toBe(400)

    // A token with an extra key and a short nonce: the strict schema refuses it, the broker accepts it.
    const account = t.devnet.accounts.users[0]
    if (account === undefined) throw new Error("no user 0")
    const wallet = new Wallet(Redacted.value(account.privateKey))
    const now = Date.now()
    const base = await Effect.runPromise(
      createSessionToken({ address: wallet.address, provider: noisy().providerAddress }),
    )
    const raw = JSON.stringify({ ...base, nonce: "n1", timestamp: now, expiresAt: now + 60_000, client: "x" })
    const signature = await wallet.signMessage(getBytes(keccak256(toUtf8Bytes(raw))))
    const key = `app-sk-${Buffer.from(`${raw}|${signature}`).toString("base64")}`
    const lenient = await fetch(url, { method: "POST", body, headers: { authorization: `Bearer ${key}` } })
    expect(lenient.status).toBe(200)
    await lenient.text()
  })
})
