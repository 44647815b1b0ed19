import { Effect, Layer } from "effect"
import { AbiCoder } from "ethers"
import { describe, expect, it } from "vitest"
import { InsufficientBalance } from "./errors.js"
import { makeFacadeRuntime, runFacade } from "./runtime.js"
import { decodeChainStruct, InferenceAccount, Ledger } from "./schemas.js"

const user = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
const provider = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"

describe("chain struct schemas", () => {
  it("decode an ethers Result of a Ledger into named bigint fields", async () => {
    const coder = AbiCoder.defaultAbiCoder()
    const [decoded] = coder.decode(
      ["tuple(address user,uint256 availableBalance,uint256 totalBalance,string additionalInfo)"],
      coder.encode(
        ["tuple(address user,uint256 availableBalance,uint256 totalBalance,string additionalInfo)"],
        [[user, 2n, 5n, "hi"]],
      ),
    )
    const ledger = await Effect.runPromise(decodeChainStruct(Ledger, "ledger")(decoded))
    expect(ledger).toEqual({ user, availableBalance: 2n, totalBalance: 5n, additionalInfo: "hi" })
  })

  it("decode nested arrays of structs (Account.refunds)", async () => {
    const t =
      "tuple(address user,address provider,uint256 nonce,uint256 balance,uint256 pendingRefund,tuple(uint256 index,uint256 amount,uint256 createdAt,bool processed)[] refunds,string additionalInfo,bool acknowledged,uint256 validRefundsLength,uint256 generation,uint256 revokedBitmap)"
    const coder = AbiCoder.defaultAbiCoder()
    const [decoded] = coder.decode(
      [t],
      coder.encode([t], [[user, provider, 1, 10, 4, [[0, 4, 99, false]], "", true, 1, 0, 0]]),
    )
    const acct = await Effect.runPromise(decodeChainStruct(InferenceAccount, "account")(decoded))
    expect(acct.refunds).toEqual([{ index: 0n, amount: 4n, createdAt: 99n, processed: false }])
    expect(acct.pendingRefund).toBe(4n)
  })

  it("reject shapes that do not match as MalformedData", async () => {
    const err = await Effect.runPromise(decodeChainStruct(Ledger, "ledger")({ user: "nope" }).pipe(Effect.flip))
    expect(err._tag).toBe("MalformedData")
    expect(err.what).toBe("ledger")
  })
})

describe("promise facade runner", () => {
  it("rejects with the typed error itself, fields intact", async () => {
    const failure = new InsufficientBalance({ what: "ledger balance", required: 5n, available: 1n })
    const rejected = await runFacade(Effect.fail(failure)).catch((e: unknown) => e)
    expect(rejected).toBe(failure)
    expect(rejected).toBeInstanceOf(Error)
    expect(rejected).toMatchObject({ _tag: "InsufficientBalance", required: 5n, available: 1n })
    expect((rejected as Error).message).toBe(
      "Insufficient ledger balance: need 0.000000000000000005 0G, have 0.000000000000000001 0G",
    )
    const rt = makeFacadeRuntime(Layer.empty)
    expect(await rt.run(Effect.succeed(42))).toBe(42)
    await expect(rt.run(Effect.fail(failure))).rejects.toBe(failure)
    await rt.dispose()
  })
})
