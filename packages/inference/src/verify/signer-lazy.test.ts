/**
 * The fast signer-key check loads lazily (verifier.ts): verdicts must not depend on when it arrives. Concurrent first
 * verifications of two signers (and a forged signature among them) get the same verdicts as later ones checked by the
 * loaded key check; and when the check's module fails to load, every response is still recovered in full — verified,
 * or refused as signed by the wrong key — and the failed load rejects nothing. Signatures are served over real HTTP.
 */
import { createHash } from "node:crypto"
import { type LocalServer, listenLocal } from "@0g-compute/core/testing"
import { type BaseWallet, Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { defaultInferenceConfig } from "../config.js"
import type { ServiceView } from "../service-view.js"

const teeA = Wallet.createRandom()
const teeB = Wallet.createRandom()
const forger = Wallet.createRandom()
const signed = new Map<string, { text: string; signature: string }>()
let server: LocalServer
let counter = 0

beforeAll(async () => {
  server = await listenLocal((req, res) => {
    const chatId = decodeURIComponent((req.url ?? "").split("/").at(-1) ?? "")
    const body = signed.get(chatId)
    res.writeHead(body === undefined ? 404 : 200, { "content-type": "application/json" })
    res.end(JSON.stringify(body ?? { error: "chat_id_not_found" }))
  })
})
afterAll(() => server.close())

const config = { ...defaultInferenceConfig(), signatureAttempts: 1 }
const serviceOf = (signer: BaseWallet): ServiceView =>
  ({
    provider: "0x1111111111111111111111111111111111111111",
    url: server.url,
    model: "m",
    separated: false,
    notVerifiableReason: undefined,
    teeSignerAcknowledged: true,
    expectedSigner: signer.address,
  }) as ServiceView

const hex = (s: string) => createHash("sha256").update(s).digest("hex")

/** One exchange of `tee`'s service whose served signature is made by `by`. */
const exchange = (tee: BaseWallet, by: BaseWallet) => {
  const chatId = `chat-${++counter}`
  const hashes = { requestHash: hex(`req ${chatId}`), responseHash: hex(`res ${chatId}`) }
  const text = `${hashes.requestHash}:${hashes.responseHash}`
  signed.set(chatId, { text, signature: by.signMessageSync(text) })
  return { service: serviceOf(tee), chatId, hashes, forged: by !== tee }
}

type Verifier = typeof import("./verifier.js")

/** A round of exchanges (A, B and A forged by another key), verified concurrently: each gets its right verdict. */
const round = async (v: Verifier) => {
  const exchanges = [0, 1, 2, 3].flatMap(() => [exchange(teeA, teeA), exchange(teeB, teeB), exchange(teeA, forger)])
  const outcomes = await Promise.all(
    exchanges.map((x) => v.verifyExchangePromise(config, x.service, x.chatId, x.hashes).catch((e: unknown) => e)),
  )
  for (const [i, x] of exchanges.entries()) {
    if (x.forged) {
      expect(outcomes[i]).toMatchObject({ _tag: "WrongResponseSigner", recovered: forger.address })
    } else {
      expect(outcomes[i]).toMatchObject({ _tag: "Verified", level: "bytes-bound", signer: x.service.expectedSigner })
    }
  }
}

describe("the lazily loaded signer-key check", () => {
  it("concurrent first verifications, and later ones through the loaded check, get the same verdicts", async () => {
    const v = await import("./verifier.js")
    const keys = await import("./signer-check.js")
    expect(keys.knownSignerKey(teeA.address)).toBe(false)
    await round(v) // the check is not loaded yet: every response recovered in full
    // The load finishes in the background; each full recovery after it remembers its signer's key.
    const known = () => [keys.knownSignerKey(teeA.address), keys.knownSignerKey(teeB.address)]
    for (let i = 0; i < 20 && known().includes(false); i++) await round(v)
    expect(known()).toEqual([true, true])
    expect(keys.knownSignerKey(forger.address)).toBe(false)
    await round(v) // the fast path for A and B; the forged one still recovered and refused
  })

  it("a key check that fails to load leaves every response recovered in full", async () => {
    let loads = 0
    vi.resetModules()
    vi.doMock("./signer-check.js", () => {
      loads++
      throw new Error("the chunk did not load")
    })
    try {
      const v: Verifier = await import("./verifier.js")
      for (let i = 0; i < 3; i++) await round(v)
      expect(loads).toBeGreaterThan(0)
    } finally {
      vi.doUnmock("./signer-check.js")
      vi.resetModules()
    }
  })
})
