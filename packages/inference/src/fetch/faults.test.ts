/**
 * Every failure a user can meet, each a distinct typed error, through the OpenAI SDK and the raw fetch, against
 * emulated providers with their fault switches; and no funds lost: what settles on chain is what we recorded.
 */
import { inferenceServing } from "@0g-compute/contracts"
import { minedReceipt } from "@0g-compute/contracts/node"
import { EPHEMERAL_TOKEN_ID, issueSessionToken } from "@0g-compute/crypto"
import type { InferenceFaults } from "@0g-compute/devnet"
import { Effect, Redacted } from "effect"
import { Wallet } from "ethers"
import OpenAI from "openai"
import { describe, expect, it } from "vitest"
import { RequestAuth } from "../auth/session.js"
import { addLedger, userClient, useTestDevnet, withFaults, ZG } from "../testing/fixture.js"

const t = useTestDevnet({ inferenceProviders: 3, ledger: "20", acknowledge: { fund: "2" }, openai: true })
const down = () => t.at(1)
const vetted = () => t.at(2)
/** Fees recorded by other clients of the same wallet (settlement is per user address). */
let otherClientFees = 0n

const chat = (content: string) => ({ model: t.provider.model, messages: [{ role: "user" as const, content }] })

const withFault = <T>(faults: InferenceFaults, f: () => Promise<T>): Promise<T> => withFaults(t.provider, faults, f)

/** The typed error behind an OpenAI SDK failure (a rejected fetch surfaces as APIConnectionError with the cause). */
const cause = (e: unknown): unknown => (e instanceof OpenAI.APIConnectionError ? e.cause : e)

const nonStreamError = (faults: InferenceFaults) =>
  withFault(faults, () => t.openai.chat.completions.create(chat("non stream fault")).then(() => undefined, cause))

const streamError = (faults: InferenceFaults) =>
  withFault(faults, async () => {
    const chunks: string[] = []
    try {
      const s = await t.openai.chat.completions.create({ ...chat("stream fault words"), stream: true })
      for await (const c of s) chunks.push(c.choices[0]?.delta.content ?? "")
    } catch (e) {
      return { error: cause(e), chunks }
    }
    return { error: undefined, chunks }
  })

describe("tampered, wrongly signed and unsigned responses", () => {
  it("a flipped response byte rejects a non-stream call with ResponseTampered", async () => {
    expect(await nonStreamError({ flipResponseByte: true })).toMatchObject({
      _tag: "ResponseTampered",
      provider: t.provider.providerAddress,
    })
  })

  it("a flipped byte in a stream errors the stream at the end instead of [DONE]", async () => {
    const { error, chunks } = await streamError({ flipResponseByte: true })
    expect(error).toMatchObject({ _tag: "ResponseTampered" })
    // The content was delivered as it came (unverified until the end), then the stream failed.
    expect(chunks.join("").length).toBeGreaterThan(0)
  })

  it("a signature by another key is WrongResponseSigner (stream and non-stream)", async () => {
    const e = await nonStreamError({ wrongSigner: true })
    expect(e).toMatchObject({ _tag: "WrongResponseSigner", expected: t.provider.teeSignerAddress })
    expect((e as { recovered: string }).recovered).not.toBe(t.provider.teeSignerAddress)
    expect((await streamError({ wrongSigner: true })).error).toMatchObject({ _tag: "WrongResponseSigner" })
  })

  it("a missing signature is ResponseSignatureMissing (stream and non-stream)", async () => {
    expect(await nonStreamError({ dropSignature: true })).toMatchObject({ _tag: "ResponseSignatureMissing" })
    expect((await streamError({ dropSignature: true })).error).toMatchObject({ _tag: "ResponseSignatureMissing" })
  })

  it("a 500 in the middle of a stream is ProviderStreamFailed; a non-stream 500 is ProviderHttpError", async () => {
    const { error } = await streamError({ failMidStream: true })
    expect(error).toMatchObject({ _tag: "ProviderStreamFailed" })
    expect(await nonStreamError({ failMidStream: true })).toMatchObject({ _tag: "ProviderHttpError", status: 500 })
  })

  it("the raw fetch rejects with the typed error itself", async () => {
    const f = t.user.client.fetch(t.provider.providerAddress)
    await withFault({ flipResponseByte: true }, () =>
      expect(
        f(`${t.provider.url}/v1/proxy/chat/completions`, { method: "POST", body: JSON.stringify(chat("raw")) }),
      ).rejects.toMatchObject({ _tag: "ResponseTampered" }),
    )
  })
})

describe("admission and credentials", () => {
  it("an unreachable provider is ProviderUnreachable", async () => {
    const f = t.user.client.fetch(down().providerAddress)
    await f(`${down().url}/v1/proxy/chat/completions`, { method: "POST", body: JSON.stringify(chat("up")) }).then((r) =>
      r.text(),
    )
    await down().stop()
    await expect(
      f(`${down().url}/v1/proxy/chat/completions`, { method: "POST", body: JSON.stringify(chat("down")) }),
    ).rejects.toMatchObject({ _tag: "ProviderUnreachable", provider: down().providerAddress })
  })

  it("a user without a sub-account gets SubAccountMissing", async () => {
    const other = await userClient(t.devnet, 1)
    try {
      const f = other.client.fetch(t.provider.providerAddress)
      await expect(
        f(`${t.provider.url}/v1/proxy/chat/completions`, { method: "POST", body: JSON.stringify(chat("x")) }),
      ).rejects.toMatchObject({
        _tag: "SubAccountMissing",
      })
    } finally {
      await other.close()
    }
  })

  it("a sub-account below reserve + unsettled fees gets InsufficientSubAccountBalance with the amounts", async () => {
    const poor = await userClient(t.devnet, 2)
    try {
      await addLedger(poor, "5")
      await poor.client.acknowledge(t.provider.providerAddress, { allowDevnet: true, fund: "1" })
      const f = poor.client.fetch(t.provider.providerAddress)
      const send = () =>
        f(`${t.provider.url}/v1/proxy/chat/completions`, { method: "POST", body: JSON.stringify(chat("spend")) })
      await (await send()).text() // 1 0G covers the reserve with nothing unsettled: admitted, now it owes a fee
      const e = await send().then(
        () => undefined,
        (x: unknown) => x,
      )
      expect(e).toMatchObject({ _tag: "InsufficientSubAccountBalance", available: ZG(1) })
      const { required, available } = e as { required: bigint; available: bigint }
      expect(required - available).toBe(t.provider.unsettledFee(poor.address))
    } finally {
      await poor.close()
    }
  })

  it("an expired API key is TokenExpired, a revoked one TokenRevoked", async () => {
    const wallet = new Wallet(
      Redacted.value((t.devnet.accounts.users[0] as { privateKey: Redacted.Redacted<string> }).privateKey),
    )
    const expired = await Effect.runPromise(
      issueSessionToken(wallet, {
        provider: t.provider.providerAddress,
        tokenId: 7,
        timestamp: Date.now() - 60_000,
        durationMs: 1000,
      }),
    )
    const body = JSON.stringify(chat("key"))
    const url = `${t.provider.url}/v1/proxy/chat/completions`
    const withExpired = t.user.client.fetch(t.provider.providerAddress, { apiKey: expired.apiKey })
    await expect(withExpired(url, { method: "POST", body })).rejects.toMatchObject({ _tag: "TokenExpired", tokenId: 7 })

    const key = await t.user.client.apiKeys.create(t.provider.providerAddress)
    const withKey = t.user.client.fetch(t.provider.providerAddress, { apiKey: key.apiKey })
    expect((await withKey(url, { method: "POST", body })).status).toBe(200)
    await t.user.client.apiKeys.revoke(t.provider.providerAddress, key.tokenId)
    await expect(withKey(url, { method: "POST", body })).rejects.toMatchObject({
      _tag: "TokenRevoked",
      tokenId: key.tokenId,
    })
  })

  it("revoking all tokens kills the cached session token too; the client re-signs and carries on", async () => {
    const second = await userClient(t.devnet, 0) // same wallet, its own token cache
    try {
      const f2 = second.client.fetch(t.provider.providerAddress)
      const url = `${t.provider.url}/v1/proxy/chat/completions`
      await (await f2(url, { method: "POST", body: JSON.stringify(chat("before")) })).text()
      await t.user.client.apiKeys.revokeAll(t.provider.providerAddress)
      // second's cached token carries the old generation: the provider refuses it, the client renews once.
      const res = await f2(url, { method: "POST", body: JSON.stringify(chat("after")) })
      expect(res.status).toBe(200)
      await res.text()
      const ephemeral = await second.client.run(RequestAuth.use((auth) => auth.session(t.provider.providerAddress)))
      expect(ephemeral.tokenId).toBe(EPHEMERAL_TOKEN_ID)
      expect(ephemeral.generation).toBe(1n)
    } finally {
      otherClientFees += second.client.usage().total.fee
      await second.close()
    }
  })

  it("an owner-revoked TEE signer is ProviderNotAcknowledged (owner), before and after the cache learns it", async () => {
    const sent: string[] = []
    const counting: typeof fetch = (input, init) => {
      sent.push(String(input))
      return fetch(input, init)
    }
    const watcher = await userClient(t.devnet, 0, { fetch: counting })
    try {
      const f = watcher.client.fetch(vetted().providerAddress)
      const send = () =>
        f(`${vetted().url}/v1/proxy/chat/completions`, { method: "POST", body: JSON.stringify(chat("v")) })
      await (await send()).text() // warm: the service is cached as acknowledged
      const owner = new Wallet(Redacted.value(t.devnet.accounts.deployer.privateKey), t.user.provider)
      await minedReceipt(
        inferenceServing(t.devnet.addresses.inference, owner).revokeTEESignerAcknowledgement(vetted().providerAddress),
      )
      sent.length = 0
      // The cache still says acknowledged: the provider refuses it.
      await expect(send()).rejects.toMatchObject({ _tag: "ProviderNotAcknowledged", level: "owner" })
      expect(sent).toEqual([`${vetted().url}/v1/proxy/chat/completions`])
      await watcher.client.getService(vetted().providerAddress) // refreshes the shared cache
      sent.length = 0
      await expect(send()).rejects.toMatchObject({ _tag: "ProviderNotAcknowledged", level: "owner" })
      expect(sent).toEqual([]) // refused locally: nothing was sent
      await expect(watcher.client.acknowledge(vetted().providerAddress, { allowDevnet: true })).rejects.toMatchObject({
        _tag: "ProviderNotAcknowledged",
      })
    } finally {
      await watcher.close()
    }
  })
})

describe("no funds lost", () => {
  it("what settles on chain equals the fees recorded for every exchange, verified or not", async () => {
    const serving = inferenceServing(t.devnet.addresses.inference, t.user.provider)
    const before = (await serving.getAccount(t.user.address, t.provider.providerAddress)).balance
    const report = await t.provider.settleNow()
    const after = (await serving.getAccount(t.user.address, t.provider.providerAddress)).balance
    const mine = report.items.filter((i) => i.user.toLowerCase() === t.user.address.toLowerCase())
    expect(mine.every((i) => i.status === 0)).toBe(true)
    const recorded = t.user.client.usage().byProvider.find((p) => p.provider === t.provider.providerAddress)
    expect(recorded?.failed).toBeGreaterThan(0)
    const total = (recorded?.fee ?? 0n) + otherClientFees
    expect(before - after).toBe(total)
    expect(mine.reduce((s, i) => s + i.settledAmount, 0n)).toBe(total)
  })
})
