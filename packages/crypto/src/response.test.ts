import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { bodyHashHex, responseSignedText, verifyResponseSignature } from "./response.js"
import { personalDigest } from "./signature.js"
import { account, err, ok, split, vectors, wallet } from "./testing/vectors.js"

const v = vectors.chatSignature
const request = new TextEncoder().encode(v.requestBytesUtf8)
const response = new TextEncoder().encode(v.responseBytesUtf8)
const signed = { text: v.text, signature: v.signature }
const expectedSigner = account(1).address

describe("chat response signature vector (inference-protocol §9.5)", () => {
  it("recomputes the signed text and its EIP-191 digest from the exact bytes", () => {
    expect(responseSignedText(request, response)).toBe(v.text)
    expect(personalDigest(v.text)).toBe(v.eip191DigestOfText)
  })
  it("the TEE key signs the text to the vector signature", async () => {
    expect(await wallet(1).signMessage(v.text)).toBe(v.signature)
  })
  it("verifies: signer recovered and both hashes bound", async () => {
    const verdict = ok(verifyResponseSignature({ request, response, signed, expectedSigner, chatId: "c1" }))
    expect(verdict).toMatchObject({ _tag: "Verified", signer: v.signingAddress, chatId: "c1" })
    if (verdict._tag !== "Verified") throw new Error("unreachable")
    expect(`${verdict.requestHash}:${verdict.responseHash}`).toBe(v.text)
  })
  it("accepts string bodies (UTF-8) the same as bytes", async () => {
    const verdict = ok(
      verifyResponseSignature({ request: v.requestBytesUtf8, response: v.responseBytesUtf8, signed, expectedSigner }),
    )
    expect(verdict._tag).toBe("Verified")
  })
})

describe("tampering and failures", () => {
  it("one flipped response byte → ResponseHashMismatch", async () => {
    const tampered = Uint8Array.from(response)
    tampered[60] = (tampered[60] ?? 0) ^ 0x01
    const e = err(verifyResponseSignature({ request, response: tampered, signed, expectedSigner }))
    expect(e).toMatchObject({ _tag: "ResponseHashMismatch", signed: v.text.split(":")[1] })
  })
  it("a different request (provider rewrote it, or a replayed signature) → RequestHashMismatch", async () => {
    const other = new TextEncoder().encode(v.requestBytesUtf8.replace("hi", "ho"))
    const e = err(verifyResponseSignature({ request: other, response, signed, expectedSigner }))
    expect(e._tag).toBe("RequestHashMismatch")
  })
  it("signed by someone else → SignerMismatch (signing_address is never trusted)", async () => {
    const e = err(verifyResponseSignature({ request, response, signed, expectedSigner: account(2).address }))
    expect(e).toMatchObject({ _tag: "SignerMismatch", recovered: account(1).address, expected: account(2).address })
  })
  it("no signature → SignatureMissing; garbage → MalformedSignature", async () => {
    expect(
      err(verifyResponseSignature({ request, response, signed: undefined, expectedSigner, chatId: "x" }))._tag,
    ).toBe("SignatureMissing")
    expect(
      err(verifyResponseSignature({ request, response, signed: { text: v.text, signature: "" }, expectedSigner }))._tag,
    ).toBe("SignatureMissing")
    const bad = `${v.signature.slice(0, -2)}05`
    expect(
      err(verifyResponseSignature({ request, response, signed: { text: v.text, signature: bad }, expectedSigner }))
        ._tag,
    ).toBe("MalformedSignature")
  })
  it("a validly signed text of another form → MalformedSignedText, or BindingUnknown for separated providers", async () => {
    const text = "some-other-preimage"
    const signature = await wallet(1).signMessage(text)
    const e = err(verifyResponseSignature({ request, response, signed: { text, signature }, expectedSigner }))
    expect(e._tag).toBe("MalformedSignedText")
    const verdict = ok(
      verifyResponseSignature({ request, response, signed: { text, signature }, expectedSigner, separated: true }),
    )
    expect(verdict).toMatchObject({ _tag: "BindingUnknown", signer: expectedSigner })
  })
})

describe("stream bodies", () => {
  it("a stream hashed chunk by chunk equals the hash of its concatenation (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        expect(bodyHashHex(split(bytes, cuts))).toBe(bodyHashHex(bytes))
      }),
    )
  })
  it("verifies an SSE response given as received chunks", async () => {
    const sse = [
      'data: {"id":"c","choices":[{"delta":{"content":"he"}}]}\n\n',
      'data: {"id":"c","choices":[{"delta":{"content":"llo"}}]}\n\n',
      'data: {"id":"c","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\n',
      "data: [DONE]\n\n",
    ].map((s) => new TextEncoder().encode(s))
    const text = responseSignedText(request, sse)
    const signature = await wallet(1).signMessage(text)
    const verdict = ok(verifyResponseSignature({ request, response: sse, signed: { text, signature }, expectedSigner }))
    expect(verdict._tag).toBe("Verified")
    const dropped = sse.slice(0, 3) // the final [DONE] event never arrived
    expect(
      err(verifyResponseSignature({ request, response: dropped, signed: { text, signature }, expectedSigner }))._tag,
    ).toBe("ResponseHashMismatch")
  })
})
