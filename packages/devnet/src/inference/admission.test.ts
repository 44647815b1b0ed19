/**
 * Session-token validation (§3.4) and admission (§5) against the live chain: every rejection with its status and
 * broker-style body, and revocations / acknowledgements acting on the very next request (no caches).
 */

import { ledgerManager } from "@0g-compute/contracts"
import { INFERENCE_SERVICE_NAME } from "@0g-compute/contracts/node"
import { describe, expect, it } from "vitest"
import { useInferenceDevnet } from "../testing/hooks.js"
import { chat, craftToken, E, type Exchange, fund, mined, serving, signer, token } from "../testing/inference.js"

const t = useInferenceDevnet({ subAccount: E(3) })

const ask = (auth: Parameters<typeof chat>[1]) =>
  chat(t.provider.url, auth, { model: t.provider.model, messages: [{ role: "user", content: "admission check" }] })

const rejected = (ex: Exchange, status: number, message: string | RegExp) => {
  expect(ex.status).toBe(status)
  expect(ex.headers.get("content-type")).toBe("application/json")
  expect(ex.chatId).toBeNull()
  const body = JSON.parse(ex.text) as { error: string }
  expect(Object.keys(body)).toEqual(["error"])
  expect(body.error).toMatch(message)
}

describe("session tokens", () => {
  it("rejects a missing or malformed Authorization header", async () => {
    rejected(await ask(undefined), 401, /^validate session: missing Authorization/)
    rejected(await ask("Bearer app-sk-@@@"), 401, /^validate session: malformed session token/)
    const good = await token(t.user(0), t.provider.providerAddress)
    rejected(await ask(good.apiKey), 401, /missing Authorization/) // no "Bearer " prefix
  })

  it("rejects a token for another provider", async () => {
    const other = await token(t.user(0), t.devnet.accounts.fineTuningProvider.address)
    rejected(await ask(other), 401, /^validate session: session token is for provider/)
  })

  it("rejects ephemeral tokens living longer than 24 h or never expiring", async () => {
    const now = Date.now()
    const long = await craftToken(t.user(0), {
      provider: t.provider.providerAddress,
      timestamp: now,
      expiresAt: now + 86_400_001,
    })
    rejected(await ask(long), 401, /at most 24 h/)
    const forever = await craftToken(t.user(0), { provider: t.provider.providerAddress, expiresAt: 0 })
    rejected(await ask(forever), 401, /must expire/)
  })

  it("rejects an expired token (ms expiry)", async () => {
    const now = Date.now()
    const expired = await craftToken(t.user(0), {
      provider: t.provider.providerAddress,
      timestamp: now - 7_200_000,
      expiresAt: now - 1,
    })
    rejected(await ask(expired), 401, "validate session: session token expired")
  })

  it("rejects a token signed by someone else", async () => {
    const forged = await craftToken(t.user(1), { provider: t.provider.providerAddress })
    const claimed = forged.rawMessage.replace(forged.token.address, t.devnet.accounts.users[0]?.address as string)
    const header = `Bearer app-sk-${Buffer.from(`${claimed}|${forged.signature}`).toString("base64")}`
    rejected(await ask(header), 401, "validate session: invalid session token signature")
  })

  it("rejects a revoked API key and every older-generation token immediately", async () => {
    const user = t.user(0)
    const key3 = await token(user, t.provider.providerAddress, { tokenId: 3 })
    const key4 = await token(user, t.provider.providerAddress, { tokenId: 4 })
    const session = await token(user, t.provider.providerAddress)
    expect((await ask(key3)).status).toBe(200)
    await mined(serving(t.devnet, user).revokeToken(t.provider.providerAddress, 3))
    rejected(await ask(key3), 401, /^validate session: session token revoked: API key 3/)
    expect((await ask(key4)).status).toBe(200)
    expect((await ask(session)).status).toBe(200)

    await mined(serving(t.devnet, user).revokeAllTokens(t.provider.providerAddress))
    rejected(await ask(key4), 401, /revoked: generation 0 < account generation 1/)
    rejected(await ask(session), 401, /revoked: generation 0/)
    expect((await ask(await token(user, t.provider.providerAddress, { generation: 1 }))).status).toBe(200)
    rejected(
      await ask(await token(user, t.provider.providerAddress, { generation: 2 })),
      401,
      /invalid session token: generation 2 >/,
    )
  })
})

describe("admission", () => {
  it("rejects a user without a sub-account", async () => {
    rejected(await ask(await token(t.user(1), t.provider.providerAddress)), 400, /^validate request: account not exist/)
  })

  it("keeps the 1 0G reserve above the unsettled fees", async () => {
    const user = t.user(2)
    await fund(t.devnet, user, t.provider.providerAddress, E(1)) // exactly the reserve: one request, then nothing
    const auth = await token(user, t.provider.providerAddress)
    expect((await ask(auth)).status).toBe(200)
    rejected(
      await ask(auth),
      400,
      /^validate request: insufficient balance: your locked balance is 1 0G, but the required minimum is 1\.0/,
    )
    await fund(t.devnet, user, t.provider.providerAddress, E(0.5))
    expect((await ask(auth)).status).toBe(200)
  })

  it("rejects while the owner has not acknowledged the provider's TEE signer", async () => {
    const owner = signer(t.devnet.accounts.deployer, t.rpc)
    const auth = await token(t.user(0), t.provider.providerAddress, { generation: 1 })
    await mined(serving(t.devnet, owner).revokeTEESignerAcknowledgement(t.provider.providerAddress))
    rejected(await ask(auth), 400, /^validate request: the TEE signer .* is not acknowledged by the contract owner/)
    await mined(serving(t.devnet, owner).acknowledgeTEESignerByOwner(t.provider.providerAddress))
    expect((await ask(auth)).status).toBe(200)
  })

  it("rejects a sub-account whose user withdrew the acknowledgement", async () => {
    const user = t.user(3)
    await fund(t.devnet, user, t.provider.providerAddress, E(1))
    // Acknowledgement can only be withdrawn at balance 0: retrieve, let the lock pass, retrieve again.
    const ledger = ledgerManager(t.devnet.addresses.ledger, user)
    await mined(ledger.retrieveFund([t.provider.providerAddress], INFERENCE_SERVICE_NAME))
    await t.rpc.send("evm_increaseTime", [86_401])
    await mined(ledger.retrieveFund([t.provider.providerAddress], INFERENCE_SERVICE_NAME))
    await mined(serving(t.devnet, user).acknowledgeTEESigner(t.provider.providerAddress, false))
    rejected(
      await ask(await token(user, t.provider.providerAddress)),
      400,
      /^validate request: user not acknowledge the provider/,
    )
  })
})
