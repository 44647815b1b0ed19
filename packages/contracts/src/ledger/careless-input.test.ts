/**
 * A careless caller of the Promise facade (plain JavaScript: no compiler between it and the types): malformed
 * amounts, addresses and keys reject with the typed error that names them, before anything is signed, and never as
 * a crash of the library.
 */
import { failure } from "@0g-compute/core/testing"
import { describe, expect, it } from "vitest"
import { devAccount, useDevnet } from "../testing/devnet.js"
import { createLedgerClient, type LedgerClient } from "./facade.js"

const devnet = useDevnet()
const user = devAccount(3)
const provider = devAccount(4).address

/** What plain JavaScript may pass where the types say string. */
const untyped = (x: unknown) => x as string

/** `run` on a client with a 4 0G ledger; it may send `sends` transactions (none by default). */
const withClient = async (run: (client: LedgerClient) => Promise<void>, sends = 0) => {
  const client = await createLedgerClient({ privateKey: user.privateKey, rpcUrl: devnet.rpcUrl, network: "devnet" })
  try {
    await client.add("4")
    const nonce = await devnet.provider.getTransactionCount(user.address)
    await run(client)
    expect(await devnet.provider.getTransactionCount(user.address)).toBe(nonce + sends)
  } finally {
    await client.close()
  }
}

describe("the facade refuses malformed input with a typed error, sending nothing", () => {
  it.each([
    ["-1", "negative amounts are not allowed"],
    ["0.0000000000000000001", "more than 18 decimal places"],
    ["1e3", "exponent notation is not allowed"],
    ["0x10", "expected a decimal number such as 1 or 0.25"],
    ["NaN", "expected a decimal number such as 1 or 0.25"],
    ["Infinity", "expected a decimal number such as 1 or 0.25"],
    ["1 000", "expected a decimal number such as 1 or 0.25"],
    ["", "empty"],
  ])("amount %j → InvalidAmount (%s)", async (input, reason) => {
    await withClient(async (client) => {
      expect(await failure(client.deposit(input))).toMatchObject({ _tag: "InvalidAmount", input, reason })
      expect(await failure(client.refund(input))).toMatchObject({ _tag: "InvalidAmount", input })
      expect(await failure(client.transfer(provider, "inference", input))).toMatchObject({ _tag: "InvalidAmount" })
    })
  })

  it("amounts that are not strings or bigints, zero and negative neuron → InvalidAmount; more than the wallet holds → InsufficientBalance", async () => {
    await withClient(async (client) => {
      for (const input of [1.5, Number.NaN, undefined, null, {}]) {
        expect(await failure(client.deposit(untyped(input)))).toMatchObject({ _tag: "InvalidAmount" })
      }
      expect(await failure(client.deposit(0n))).toMatchObject({ _tag: "InvalidAmount" })
      expect(await failure(client.refund(-1n))).toMatchObject({ _tag: "InvalidAmount" })
      const huge = `1${"0".repeat(90)}` // past uint256
      expect(await failure(client.deposit(huge))).toMatchObject({ _tag: "InsufficientBalance", what: "wallet balance" })
      expect(await failure(client.refund(huge))).toMatchObject({ _tag: "InsufficientBalance" })
      expect(await failure(client.transfer(provider, "inference", huge))).toMatchObject({ _tag: "InsufficientBalance" })
    })
  })

  it.each([
    ["a wrong checksum", provider.replace(/[a-f]/, (c) => c.toUpperCase())],
    ["a short address", provider.slice(0, 40)],
    ["an ENS name", "alice.eth"],
    ["an empty string", ""],
    ["no address at all", undefined],
    ["a number", 42],
    ["the zero address", "0x0000000000000000000000000000000000000000"],
  ])("%s as recipient or provider → InvalidAddress", async (_what, input) => {
    await withClient(async (client) => {
      expect(await failure(client.depositFor(untyped(input), "1"))).toMatchObject({ _tag: "InvalidAddress" })
      expect(await failure(client.transfer(untyped(input), "inference", "1"))).toMatchObject({
        _tag: "InvalidAddress",
      })
      expect(await failure(client.retrieve("inference", [untyped(input)]))).toMatchObject({ _tag: "InvalidAddress" })
    })
  })

  it("a service type that is not one → InvalidServiceType", async () => {
    await withClient(async (client) => {
      for (const input of ["Inference", "", undefined]) {
        expect(await failure(client.transfer(provider, untyped(input), "1"))).toMatchObject({
          _tag: "InvalidServiceType",
        })
      }
    })
  })

  it.each([
    ["63 hex digits", user.privateKey.slice(0, -1)],
    ["65 hex digits", `${user.privateKey}0`],
    ["not hex", `0x${"zz".repeat(32)}`],
    ["an empty string", ""],
    ["the curve order", "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"],
    ["a number", 42],
    ["null", null],
  ])("a private key of %s → InvalidPrivateKey, the key never in the error", async (_what, key) => {
    const err = await failure(createLedgerClient({ privateKey: untyped(key), rpcUrl: devnet.rpcUrl }))
    expect(err).toMatchObject({ _tag: "InvalidPrivateKey" })
    if (typeof key === "string" && key.length > 8) {
      expect(JSON.stringify({ ...err, message: err.message })).not.toContain(key.slice(4, 20))
    }
  })

  it("a private key with or without 0x, with surrounding whitespace, is the same wallet", async () => {
    for (const key of [user.privateKey, user.privateKey.slice(2), ` ${user.privateKey}\n`]) {
      const client = await createLedgerClient({ privateKey: key, rpcUrl: devnet.rpcUrl })
      expect(client.address).toBe(user.address)
      await client.close()
    }
  })

  it("additional info that is no string → InvalidAdditionalInfo; none (undefined or null) is the empty text", async () => {
    const client = await createLedgerClient({ privateKey: user.privateKey, rpcUrl: devnet.rpcUrl })
    try {
      const nonce = await devnet.provider.getTransactionCount(user.address)
      for (const info of [123, {}, ["a"]]) {
        expect(await failure(client.add("3", untyped(info)))).toMatchObject({ _tag: "InvalidAdditionalInfo" })
      }
      expect(await devnet.provider.getTransactionCount(user.address)).toBe(nonce)
      await client.add("3", untyped(null))
      expect((await client.get()).additionalInfo).toBe("")
    } finally {
      await client.close()
    }
  })

  it("retrieve with providers null (all of them) or one address instead of a list is understood, not a crash", async () => {
    await withClient(async (client) => {
      await client.transfer(provider, "inference", "1")
      const [all] = await client.retrieve("inference", untyped(null) as unknown as ReadonlyArray<string>)
      expect(all?.hash).toMatch(/^0x[0-9a-f]{64}$/)
      const [one] = await client.retrieve("inference", untyped(provider) as unknown as ReadonlyArray<string>)
      expect(one?.hash).toMatch(/^0x[0-9a-f]{64}$/)
    }, 3)
  })

  it("a closed client rejects every call with ClientClosed, not the runtime's internal string", async () => {
    const client = await createLedgerClient({ privateKey: user.privateKey, rpcUrl: devnet.rpcUrl })
    await client.close()
    for (const call of [() => client.get(), () => client.deposit("1"), () => client.limits()]) {
      const err = await failure(call())
      expect(err).toBeInstanceOf(Error)
      expect(err).toMatchObject({ _tag: "ClientClosed" })
      expect(err.message).toBe("This client was closed; create a new one to continue")
    }
    await client.close() // a second close is harmless
  })
})
