import { bodyHasher, bodyHashHex } from "@0g-compute/crypto"
import { hashMessage } from "ethers"
import { describe, expect, it } from "vitest"
import { heldSha256, personalMessageDigest, sha256Hasher, sha256Hex } from "./digests.js"

describe("digests", () => {
  it("personalMessageDigest equals ethers hashMessage", () => {
    const texts = ["", "a", `${"ab".repeat(32)}:${"cd".repeat(32)}`, "héllo wörld ✓ 🚀", "x".repeat(1000)]
    for (const t of texts) expect(personalMessageDigest(t)).toBe(hashMessage(t))
  })
  it("sha256Hex and sha256Hasher equal crypto's bodyHashHex", () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ a: "b".repeat(5000), c: [1, 2, 3] }))
    expect(sha256Hex(bytes)).toBe(bodyHashHex(bytes))
    expect(sha256Hex(new Uint8Array())).toBe(bodyHashHex(new Uint8Array()))
    const a = sha256Hasher()
    const b = bodyHasher()
    for (let i = 0; i < bytes.length; i += 777) {
      a.update(bytes.subarray(i, i + 777))
      b.update(bytes.subarray(i, i + 777))
    }
    expect(a.digestHex()).toBe(b.digestHex())
  })
  it("the browser fallback (chunks held, hashed at the end) equals crypto's bodyHasher, though the caller reuses its buffer", () => {
    const bytes = new TextEncoder().encode("data: {}\n\n".repeat(3000))
    const held = heldSha256()
    const streamed = bodyHasher()
    const buffer = new Uint8Array(1000)
    for (let i = 0; i < bytes.length; i += buffer.length) {
      const part = bytes.subarray(i, i + buffer.length)
      buffer.set(part)
      held.update(buffer.subarray(0, part.length))
      streamed.update(part)
    }
    expect(held.digestHex()).toBe(streamed.digestHex())
    expect(heldSha256().digestHex()).toBe(bodyHashHex(new Uint8Array()))
  })
})
