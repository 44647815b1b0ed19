/**
 * The fast signer check must agree with ecrecover: true exactly when recovering (digest, signature) yields the
 * remembered key — checked on random keys, messages and signatures, plus wrong parity, another signer, altered s/r.
 */

import { hashMessage, Signature, SigningKey, Wallet } from "ethers"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { knownSignerKey, rememberSignerKey, signedByKnownKey } from "./signer-check.js"

const tee = Wallet.createRandom()
const other = Wallet.createRandom()
rememberSignerKey(tee.address, tee.signingKey.publicKey)

const check = (digest: string, sig: Signature) =>
  signedByKnownKey(tee.address, digest, BigInt(sig.r), BigInt(sig.s), sig.yParity)

describe("signedByKnownKey", () => {
  it("accepts the remembered signer's signatures, exactly like ecrecover", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (text) => {
        const digest = hashMessage(text)
        const sig = tee.signingKey.sign(digest)
        expect(SigningKey.recoverPublicKey(digest, sig)).toBe(tee.signingKey.publicKey)
        expect(check(digest, sig)).toBe(true)
      }),
      { numRuns: 40 },
    )
  })

  it("rejects another signer, the other parity, another digest and altered r or s", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 100 }), (text) => {
        const digest = hashMessage(text)
        const sig = tee.signingKey.sign(digest)
        expect(check(digest, other.signingKey.sign(digest))).toBe(false)
        const flipped = Signature.from({ r: sig.r, s: sig.s, yParity: sig.yParity === 0 ? 1 : 0 })
        // ecrecover with the other parity yields some other key, never the signer's.
        expect(SigningKey.recoverPublicKey(digest, flipped)).not.toBe(tee.signingKey.publicKey)
        expect(check(digest, flipped)).toBe(false)
        expect(check(hashMessage(`${text}!`), sig)).toBe(false)
        expect(signedByKnownKey(tee.address, digest, BigInt(sig.r) + 1n, BigInt(sig.s), sig.yParity)).toBe(false)
        expect(signedByKnownKey(tee.address, digest, BigInt(sig.r), BigInt(sig.s) ^ 2n, sig.yParity)).toBe(false)
      }),
      { numRuns: 20 },
    )
  })

  it("knows nothing about signers it was not told, and refuses a key that is not the address's", () => {
    const digest = hashMessage("x")
    const sig = other.signingKey.sign(digest)
    expect(signedByKnownKey(other.address, digest, BigInt(sig.r), BigInt(sig.s), sig.yParity)).toBe(false)
    rememberSignerKey(other.address, tee.signingKey.publicKey)
    expect(knownSignerKey(other.address)).toBe(false)
    expect(signedByKnownKey(tee.address, digest, 0n, BigInt(sig.s), sig.yParity)).toBe(false)
  })
})
