import { decrypt as eciesDecrypt, encrypt as eciesEncrypt } from "eciesjs"
import { Config } from "eciesjs/config"
import { Effect, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { ENCRYPTED_SECRET_LENGTH, unwrapSecret, wrapSecret } from "./ecies.js"
import { recoverFineTuningSigner } from "./fine-tuning-messages.js"
import { account, err, fail, hex, ok, run, toHexString, vectors } from "./testing/vectors.js"

const e = vectors.ecies
const recipientKey = Redacted.make(e.recipientPrivateKey as string)
const secret = Redacted.make(hex(e.plaintext))

describe("ECIES encryptedSecret vector (fine-tuning-protocol §8)", () => {
  it("wraps byte for byte with the fixed ephemeral key and nonce", async () => {
    const blob = await run(
      wrapSecret(e.recipientPublicKey, secret, {
        ephemeralPrivateKey: Redacted.make(e.ephemeralPrivateKey),
        nonce: hex(e.nonce),
      }),
    )
    expect(blob.length).toBe(ENCRYPTED_SECRET_LENGTH)
    expect(toHexString(blob)).toBe(e.encryptedSecret)
    expect(toHexString(blob.subarray(0, 65))).toBe(e.ephemeralPublicKey)
    expect(toHexString(blob.subarray(81, 97))).toBe(e.tag)
    expect(toHexString(blob.subarray(97))).toBe(e.ciphertext)
  })
  it("unwraps the vector with the recipient's key; the result stays redacted", async () => {
    const key = ok(unwrapSecret(e.encryptedSecret, recipientKey))
    expect(toHexString(Redacted.value(key))).toBe(e.plaintext)
    expect(String(key)).not.toContain("0001020304")
  })
  it("wrong private key → SecretUnwrapFailed, without the key in the error", async () => {
    const failure = err(unwrapSecret(e.encryptedSecret, Redacted.make(account(1).privateKey)))
    expect(failure._tag).toBe("SecretUnwrapFailed")
    expect(JSON.stringify(failure) + failure.message).not.toContain(account(1).privateKey.slice(2, 20))
  })
  it("altered blob → SecretUnwrapFailed; short blob or off-curve ephemeral key → MalformedEncryptedSecret", async () => {
    const altered = hex(e.encryptedSecret)
    altered[100] = (altered[100] ?? 0) ^ 0xff
    expect(err(unwrapSecret(altered, recipientKey))._tag).toBe("SecretUnwrapFailed")
    expect(err(unwrapSecret(hex(e.encryptedSecret).subarray(0, 97), recipientKey))._tag).toBe(
      "MalformedEncryptedSecret",
    )
    const offCurve = hex(e.encryptedSecret)
    offCurve[10] = (offCurve[10] ?? 0) ^ 0x01
    expect(err(unwrapSecret(offCurve, recipientKey))._tag).toBe("MalformedEncryptedSecret")
  })
  it("invalid recipient public key → InvalidPublicKey", async () => {
    expect((await fail(wrapSecret("0x04abcd", secret)))._tag).toBe("InvalidPublicKey")
  })
})

describe("ECIES interop with eciesjs and the create-task key recovery", () => {
  it("eciesjs decrypts our random wrap; we unwrap eciesjs's encrypt", async () => {
    const blob = await run(wrapSecret(e.recipientPublicKey, secret))
    expect(toHexString(eciesDecrypt(hex(e.recipientPrivateKey), blob, new Config()))).toBe(e.plaintext)
    const theirs = eciesEncrypt(hex(e.recipientPublicKey), hex(e.plaintext), new Config())
    expect(toHexString(Redacted.value(ok(unwrapSecret(theirs, recipientKey))))).toBe(e.plaintext)
  })
  it("the public key recovered from the create-task signature receives the secret", async () => {
    const ct = vectors.fineTuningMessages.createTask
    const flow = Effect.gen(function* () {
      const { publicKey } = ok(recoverFineTuningSigner(hex(ct.preimage), ct.signature))
      const blob = yield* wrapSecret(publicKey, secret)
      return ok(unwrapSecret(blob, recipientKey))
    })
    expect(toHexString(Redacted.value(await run(flow)))).toBe(e.plaintext)
  })
})
