import { bodyHasher, bodyHashHex } from "@0g-compute/crypto"
import { hashMessage } from "ethers"
import { describe, expect, it } from "vitest"
import { personalMessageDigest, sha256Hasher, sha256Hex } from "./digests.js"

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
})
