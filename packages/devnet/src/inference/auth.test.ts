/**
 * `verifySession` remembers tokens that verified (so one token reused for many requests is not ECDSA-recovered each
 * time): the remembered verdict must still follow the clock and the account state read for each request.
 */
import { type SessionToken, signSessionToken } from "@0g-compute/crypto"
import { Effect } from "effect"
import { getAddress, id, Wallet } from "ethers"
import { describe, expect, it } from "vitest"
import { verifySession } from "./auth.js"
import type { Account } from "./chain.js"

const user = new Wallet(id("devnet auth test user"))
const provider = getAddress(new Wallet(id("devnet auth test provider")).address)
const now = 1_800_000_000_000

const sign = (fields: Partial<SessionToken> = {}) =>
  Effect.runPromise(
    signSessionToken(
      {
        address: getAddress(user.address),
        provider,
        timestamp: now,
        expiresAt: now + 60_000,
        nonce: "0123456789abcdef0123456789abcdef",
        generation: 0,
        tokenId: 255,
        ...fields,
      },
      user,
    ),
  )

const account = (state: Partial<Account> = {}) =>
  ({ generation: 0n, revokedBitmap: 0n, ...state }) as unknown as Account

describe("verifySession on a token it verified before", () => {
  it("refuses it once it expired", async () => {
    const signed = await sign()
    expect(verifySession(signed, provider, account(), now)).toBe(getAddress(user.address))
    expect(verifySession(signed, provider, account(), now + 59_999)).toBe(getAddress(user.address))
    expect(() => verifySession(signed, provider, account(), now + 60_001)).toThrow(
      "validate session: session token expired",
    )
  })

  it("refuses it after a revocation of its key or of its generation", async () => {
    const signed = await sign({ tokenId: 7 })
    expect(verifySession(signed, provider, account(), now)).toBe(getAddress(user.address))
    expect(() => verifySession(signed, provider, account({ revokedBitmap: 1n << 7n }), now)).toThrow(
      /revoked: API key 7/,
    )
    expect(() => verifySession(signed, provider, account({ generation: 1n }), now)).toThrow(/revoked: generation 0/)
    expect(verifySession(signed, provider, account(), now)).toBe(getAddress(user.address))
  })

  it("refuses the same text under another signature, and the same signature for another provider", async () => {
    const signed = await sign()
    expect(verifySession(signed, provider, account(), now)).toBe(getAddress(user.address))
    const other = await sign({ nonce: "fedcba9876543210fedcba9876543210" })
    expect(() => verifySession({ ...signed, signature: other.signature }, provider, account(), now)).toThrow(
      "validate session: invalid session token signature",
    )
    const elsewhere = getAddress(new Wallet(id("another provider")).address)
    expect(() => verifySession(signed, elsewhere, account(), now)).toThrow(/session token is for provider/)
  })
})
