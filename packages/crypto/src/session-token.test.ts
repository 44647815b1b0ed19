import { Clock, Effect } from "effect"
import { keccak256, toUtf8Bytes } from "ethers"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  checkSessionToken,
  createSessionToken,
  issueSessionToken,
  MAX_EPHEMERAL_LIFETIME_MS,
  parseApiKey,
  serializeSessionToken,
  sessionTokenDigest,
  signSessionToken,
  verifySessionToken,
} from "./session-token.js"
import { account, at, err, fail, fixedClock, ok, run, vectors, wallet } from "./testing/vectors.js"

const v = vectors.sessionToken
const user = account(0).address
const provider = account(2).address
const T0 = 1767225600000

const vectorToken = createSessionToken({
  address: user,
  provider,
  timestamp: T0,
  durationMs: 86_400_000,
  nonce: "0123456789abcdef0123456789abcdef",
  generation: 0,
})

const b64 = (text: string) => `Bearer app-sk-${Buffer.from(text, "utf8").toString("base64")}`

describe("session token vector (inference-protocol §3.5)", () => {
  it("serialises to the exact rawMessage, keccak and EIP-191 digest", async () => {
    const token = await run(vectorToken)
    const raw = serializeSessionToken(token)
    expect(raw).toBe(v.rawMessage)
    expect(keccak256(toUtf8Bytes(raw))).toBe(v.keccak256RawMessage)
    expect(sessionTokenDigest(raw)).toBe(v.eip191Digest)
  })

  it("signs to the vector signature and builds the exact Authorization header", async () => {
    const signed = await run(Effect.flatMap(vectorToken, (t) => signSessionToken(t, wallet(0))))
    expect(signed.signature).toBe(v.signature)
    expect(signed.authorization).toBe(v.authorizationHeader)
    expect(signed.apiKey).toBe(v.authorizationHeader.slice("Bearer ".length))
  })

  it("issueSessionToken uses the signer's address and the Effect clock", async () => {
    const signed = await run(
      issueSessionToken(wallet(0), { provider, nonce: "0123456789abcdef0123456789abcdef" }).pipe(at(T0)),
    )
    expect(signed.authorization).toBe(v.authorizationHeader)
  })

  it("parses the vector header back to the token, keeping the received bytes", async () => {
    const parsed = ok(parseApiKey(v.authorizationHeader))
    expect(parsed.rawMessage).toBe(v.rawMessage)
    expect(parsed.signature).toBe(v.signature)
    expect(parsed.token).toEqual(await run(vectorToken))
  })

  it("verifies the vector inside its validity window", async () => {
    const ok = await run(verifySessionToken(v.authorizationHeader, { provider: provider.toLowerCase(), now: T0 + 1 }))
    expect(ok.user).toBe(user)
  })
})

describe("session token creation rules", () => {
  it("rejects an ephemeral lifetime above 24 h", async () => {
    const e = await fail(
      createSessionToken({ address: user, provider, timestamp: T0, durationMs: MAX_EPHEMERAL_LIFETIME_MS + 1 }),
    )
    expect(e._tag).toBe("InvalidSessionTokenParams")
  })
  it("persistent API keys default to never expiring; ephemeral to 24 h", async () => {
    const key = await run(createSessionToken({ address: user, provider, timestamp: T0, tokenId: 3 }))
    expect(key.expiresAt).toBe(0)
    const eph = await run(createSessionToken({ address: user, provider, timestamp: T0 }))
    expect(eph.expiresAt - eph.timestamp).toBe(MAX_EPHEMERAL_LIFETIME_MS)
    expect(eph.nonce).toMatch(/^[0-9a-f]{32}$/)
  })
  it("rejects token ids outside 0..255 and nonces with '|'", async () => {
    expect((await fail(createSessionToken({ address: user, provider, tokenId: 256 })))._tag).toBe(
      "InvalidSessionTokenParams",
    )
    expect((await fail(createSessionToken({ address: user, provider, nonce: `${"a".repeat(31)}|` })))._tag).toBe(
      "InvalidSessionTokenParams",
    )
  })
  it("rejects a bad address", async () => {
    expect((await fail(createSessionToken({ address: "0x1234", provider })))._tag).toBe("InvalidAddress")
  })
  it("refuses to sign with a signer that is not the token address", async () => {
    const e = await fail(Effect.flatMap(vectorToken, (t) => signSessionToken(t, wallet(1))))
    expect(e._tag).toBe("SignerMismatch")
  })
})

describe("session token parsing is strict", () => {
  const cases: Array<[string, string]> = [
    ["no prefix", "Bearer abc"],
    ["not base64", "Bearer app-sk-@@@@"],
    ["no bar", b64(v.rawMessage)],
    ["bad signature", b64(`${v.rawMessage}|0x1234`)],
    ["not JSON", b64(`{oops|${v.signature}`)],
    ["extra key", b64(`${v.rawMessage.slice(0, -1)},"extra":1}|${v.signature}`)],
    ["missing key", b64(`${v.rawMessage.replace(',"tokenId":255', "")}|${v.signature}`)],
    ["string timestamp", b64(`${v.rawMessage.replace("1767225600000", '"1767225600000"')}|${v.signature}`)],
    ["tokenId 256", b64(`${v.rawMessage.replace('"tokenId":255', '"tokenId":256')}|${v.signature}`)],
    ["short nonce", b64(`${v.rawMessage.replace("0123456789abcdef0123456789abcdef", "0123")}|${v.signature}`)],
  ]
  it.each(cases)("%s → MalformedSessionToken", async (_name, header) => {
    const e = err(parseApiKey(header))
    expect(e._tag).toBe("MalformedSessionToken")
    expect(e.message).toMatch(/^Malformed session token: /)
  })
})

describe("session token verification (provider order §3.4)", () => {
  const opts = { provider, now: T0 + 1000 }

  it("checkSessionToken gives the same verdicts synchronously, with the time passed in", () => {
    expect(ok(checkSessionToken(v.authorizationHeader, opts)).user).toBe(user)
    expect(err(checkSessionToken(v.authorizationHeader, { provider, now: 1767312000001 }))._tag).toBe(
      "SessionTokenExpired",
    )
    expect(err(checkSessionToken(`${v.authorizationHeader}x`, opts))._tag).toBe("MalformedSessionToken")
  })
  it("verifySessionToken without `now` reads the Effect Clock", async () => {
    const atTime = (ms: number) => Effect.provideService(Clock.Clock, fixedClock(ms))
    const verify = verifySessionToken(v.authorizationHeader, { provider })
    expect((await run(verify.pipe(atTime(T0 + 1000)))).user).toBe(user)
    expect((await fail(verify.pipe(atTime(1767312000001))))._tag).toBe("SessionTokenExpired")
  })
  it("expired", async () => {
    const e = await fail(verifySessionToken(v.authorizationHeader, { provider, now: 1767312000001 }))
    expect(e._tag).toBe("SessionTokenExpired")
  })
  it("wrong provider", async () => {
    const e = await fail(verifySessionToken(v.authorizationHeader, { ...opts, provider: account(1).address }))
    expect(e).toMatchObject({ _tag: "SessionTokenWrongProvider", actual: provider })
  })
  it("ephemeral lifetime over 24 h is rejected even when signed", async () => {
    const token = { ...(await run(vectorToken)), expiresAt: T0 + MAX_EPHEMERAL_LIFETIME_MS + 1 }
    const signed = await run(signSessionToken(token, wallet(0)))
    expect((await fail(verifySessionToken(signed, opts)))._tag).toBe("InvalidSessionTokenParams")
  })
  it("older generation → revoked; newer → ahead", async () => {
    const revoked = await fail(
      verifySessionToken(v.authorizationHeader, { ...opts, account: { generation: 1n, revokedBitmap: 0n } }),
    )
    expect(revoked).toMatchObject({ _tag: "SessionTokenRevoked", by: "generation" })
    const t = await run(createSessionToken({ address: user, provider, timestamp: T0, generation: 2 }))
    const signed = await run(signSessionToken(t, wallet(0)))
    const ahead = await fail(verifySessionToken(signed, { ...opts, account: { generation: 1n, revokedBitmap: 0n } }))
    expect(ahead._tag).toBe("SessionTokenGenerationAhead")
  })
  it("persistent key revoked by its bitmap bit; other bits and ephemeral tokens unaffected", async () => {
    const t = await run(createSessionToken({ address: user, provider, timestamp: T0, tokenId: 7 }))
    const signed = await run(signSessionToken(t, wallet(0)))
    const e = await fail(verifySessionToken(signed, { ...opts, account: { generation: 0n, revokedBitmap: 1n << 7n } }))
    expect(e).toMatchObject({ _tag: "SessionTokenRevoked", by: "bitmap", tokenId: 7 })
    const ok = await run(verifySessionToken(signed, { ...opts, account: { generation: 0n, revokedBitmap: 1n << 6n } }))
    expect(ok.user).toBe(user)
    // Bit 255 does not exist for API keys; an ephemeral token ignores the bitmap.
    const eph = await run(
      verifySessionToken(v.authorizationHeader, {
        ...opts,
        account: { generation: 0n, revokedBitmap: (1n << 256n) - 1n },
      }),
    )
    expect(eph.user).toBe(user)
  })
  it("a token whose JSON was edited after signing fails the signature check", async () => {
    const forged = v.rawMessage.replace(user, account(1).address)
    const e = await fail(verifySessionToken(b64(`${forged}|${v.signature}`), opts))
    expect(e).toMatchObject({ _tag: "SignerMismatch", expected: account(1).address })
  })
  it("uses the Effect clock when no `now` is given", async () => {
    const e = await fail(verifySessionToken(v.authorizationHeader, { provider }).pipe(at(1767312000001)))
    expect(e._tag).toBe("SessionTokenExpired")
  })
})

describe("encode → parse round trip (property)", () => {
  it("any valid token survives signing, encoding and strict parsing byte for byte", async () => {
    const signer = wallet(0)
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 1, max: MAX_EPHEMERAL_LIFETIME_MS }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.string({ minLength: 32, maxLength: 32 }).filter((s) => !s.includes("|")),
        async (tokenId, timestamp, durationMs, generation, nonce) => {
          const token = await run(
            createSessionToken({ address: user, provider, tokenId, timestamp, durationMs, generation, nonce }),
          )
          const signed = await run(signSessionToken(token, signer))
          const parsed = ok(parseApiKey(signed.authorization))
          expect(parsed.token).toEqual(token)
          expect(parsed.rawMessage).toBe(signed.rawMessage)
          const account = { generation: BigInt(generation), revokedBitmap: 0n }
          const verified = await run(verifySessionToken(parsed, { provider, now: timestamp, account }))
          expect(verified.user).toBe(user)
        },
      ),
      { numRuns: 40 },
    )
  })
})
