import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Layer, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { Crypto, CryptoLive, cryptoPromises } from "./index.js"
import { account, hex, run, vectors } from "./test-util/vectors.js"

describe("Promise facade", () => {
  it("resolves like the Effect API", async () => {
    const signed = await cryptoPromises.parseApiKey(vectors.sessionToken.authorizationHeader)
    expect(signed.signature).toBe(vectors.sessionToken.signature)
  })
  it("rejects with the typed error itself: an Error with _tag, fields and a one-line message", async () => {
    const err = await cryptoPromises
      .verifySessionToken(vectors.sessionToken.authorizationHeader, { provider: account(1).address, now: 0 })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err).toMatchObject({ _tag: "SessionTokenWrongProvider", expected: account(1).address })
    expect((err as Error).message).not.toContain("\n")
  })
  it("keeps secrets redacted in errors", async () => {
    const err = await cryptoPromises
      .unwrapSecret(vectors.ecies.encryptedSecret, Redacted.make(account(2).privateKey))
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ _tag: "SecretUnwrapFailed" })
    expect(JSON.stringify(err) + String(err)).not.toContain(account(2).privateKey.slice(2))
  })
})

describe("Crypto service", () => {
  it("CryptoLive provides the operations through context", async () => {
    const program = Crypto.use((c) =>
      c.decryptModel(hex(vectors.encryptedModelFile.small.file), {
        key: Redacted.make(hex(vectors.encryptedModelFile.aesKey)),
        expectedSigner: account(1).address,
      }),
    )
    const out = await run(program.pipe(Effect.provide(CryptoLive)))
    expect(out.plaintext.length).toBe(100)
  })
  it("can be replaced in tests (the seam dependants rely on)", async () => {
    const fake = Layer.mock(Crypto, { parseApiKey: () => Effect.die("stubbed") })
    const exit = await Effect.runPromiseExit(Crypto.use((c) => c.parseApiKey("x")).pipe(Effect.provide(fake)))
    expect(exit._tag).toBe("Failure")
  })
})

describe("browser-safe default entry", () => {
  it("no module outside src/node imports node: builtins (tests excluded)", () => {
    const dir = new URL(".", import.meta.url).pathname
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    expect(files.length).toBeGreaterThan(8)
    for (const f of files)
      expect([f, /from "node:|require\("node:/.test(readFileSync(join(dir, f), "utf8"))]).toEqual([f, false])
  })
})
