import { Effect, Redacted, Result } from "effect"
import { describe, expect, it } from "vitest"
import { parseAddress, parseAddressResult, parsePrivateKey } from "./chain.js"

const KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

describe("input validation", () => {
  it("checksums valid addresses and rejects malformed or mis-checksummed ones", async () => {
    const lower = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
    expect(await Effect.runPromise(parseAddress(lower))).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    for (const bad of [
      "",
      "0x123",
      "f39fd6e51aad88f6f4ce6ab8827279cfffb92266",
      "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
      "0xzz9fd6e51aad88f6f4ce6ab8827279cfffb92266",
      "vitalik.eth",
    ]) {
      const err = await Effect.runPromise(parseAddress(bad).pipe(Effect.flip))
      expect(err._tag).toBe("InvalidAddress")
    }
  })

  it("parseAddressResult decides synchronously, with the same answers as parseAddress", () => {
    const ok = parseAddressResult(" 0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266 ")
    expect(Result.getOrThrow(ok)).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    // ethers' getAddress accepts the ICAP form of the same address; the 0x + 40 hex rule refuses it
    for (const bad of ["XE90SGHMIMLXXVYZDHFCOCE17IR4BLCSPYE", "0XF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266", "0x123"]) {
      const r = parseAddressResult(bad)
      expect(Result.isFailure(r) && r.failure).toMatchObject({ _tag: "InvalidAddress", input: bad })
    }
  })

  it("accepts 32-byte hex keys with or without 0x and keeps them redacted", async () => {
    const k = await Effect.runPromise(parsePrivateKey(KEY0.slice(2)))
    expect(Redacted.value(k)).toBe(KEY0)
    expect(String(k)).not.toContain("ac0974")
    expect(JSON.stringify({ k })).not.toContain("ac0974")
  })

  it("rejects malformed keys without echoing them", async () => {
    for (const bad of ["", "0x1234", `${KEY0}00`, `0x${"0".repeat(64)}`, `0x${"f".repeat(64)}`, "zz".repeat(32)]) {
      const err = await Effect.runPromise(parsePrivateKey(bad).pipe(Effect.flip))
      expect(err._tag).toBe("InvalidPrivateKey")
      if (bad.length > 8) expect(err.message).not.toContain(bad.slice(2, 20))
    }
  })
})
