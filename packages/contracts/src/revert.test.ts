import { type ErrorFragment, getAddress, Interface, makeError, type ParamType } from "ethers"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { CONTRACT_NAMES, type ContractName, contractInterfaces } from "./clients.js"
import { ContractRevert } from "./errors.js"
import { decodeRevertData, extractRevertData, isRevert, revertFromError } from "./revert.js"
import { CUSTOM_ERROR_MESSAGES } from "./revert-messages.js"

const USER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
const PROVIDER = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"

/** A distinctive sample value per ABI type. */
const sample = (p: ParamType, i: number): unknown => {
  if (p.type === "address") return i % 2 === 0 ? USER : PROVIDER
  if (p.type.startsWith("uint")) return 10n ** 18n + BigInt(i)
  if (p.type === "string") return `reason-${i}`
  if (p.type === "bool") return true
  throw new Error(`no sample for ${p.type}`)
}

const errorsOf = (name: ContractName): ErrorFragment[] => {
  const list: ErrorFragment[] = []
  contractInterfaces[name].forEachError((e) => list.push(e))
  return list
}

const wrappers: ReadonlyArray<[string, (data: string) => unknown]> = [
  ["error.data (estimateGas / call)", (data) => ({ code: "CALL_EXCEPTION", data })],
  [
    "error.info.error.data (sendTransaction)",
    (data) => ({ code: "UNKNOWN_ERROR", info: { error: { code: 3, data } } }),
  ],
  ["error.error.data.data (nested RPC object)", (data) => ({ error: { data: { message: "revert", data } } })],
  [
    "JSON-RPC body string",
    (data) => ({ error: { body: JSON.stringify({ jsonrpc: "2.0", error: { code: 3, data } }) } }),
  ],
]

describe("revert decoding", () => {
  for (const name of CONTRACT_NAMES) {
    it(`decodes every custom error of ${name} with its arguments and a message`, () => {
      const iface = contractInterfaces[name]
      const fragments = errorsOf(name)
      expect(fragments.length).toBeGreaterThan(15)
      for (const f of fragments) {
        const values = f.inputs.map(sample)
        const data = iface.encodeErrorResult(f, values)
        for (const [label, wrap] of wrappers) {
          const r = revertFromError(wrap(data), name)
          expect(r, `${f.name} via ${label}`).toBeInstanceOf(ContractRevert)
          expect(r?._tag).toBe("ContractRevert")
          expect(r?.contract).toBe(name)
          expect(r?.error).toBe(f.name)
          expect(r?.selector).toBe(f.selector)
          expect(r?.args).toEqual(Object.fromEntries(f.inputs.map((p, i) => [p.name, values[i]])))
        }
        const message = decodeRevertData(data, name).message
        expect(message).not.toMatch(/unknown error|reverted with /)
        expect(message.length).toBeGreaterThan(10)
        expect(Object.hasOwn(CUSTOM_ERROR_MESSAGES, f.name)).toBe(true)
      }
    })
  }

  it("uses the called contract's ABI first where two ABIs share a selector", () => {
    const args = [5n, 3n]
    const ft = contractInterfaces.FineTuningServing.encodeErrorResult("BatchSizeTooLarge", args)
    expect(decodeRevertData(ft, "FineTuningServing").args).toEqual({ size: 5n, maxSize: 3n })
    expect(decodeRevertData(ft, "InferenceServing").args).toEqual({ size: 5n, max: 3n })
    // an error only the serving contract declares still decodes when LedgerManager was called (retrieveFund bubbles it)
    const tooMany = contractInterfaces.InferenceServing.encodeErrorResult("TooManyRefunds", [USER, PROVIDER])
    const r = decodeRevertData(tooMany, "LedgerManager")
    expect(r.contract).toBe("InferenceServing")
    expect(r.error).toBe("TooManyRefunds")
  })

  it("reads well to a user", () => {
    const data = contractInterfaces.LedgerManager.encodeErrorResult("LedgerNotExists", [USER])
    expect(decodeRevertData(data).message).toBe(`No ledger exists for ${USER}; create one with \`ledger.add(amount)\``)
    const min = contractInterfaces.LedgerManager.encodeErrorResult("MinimumDepositRequired", [
      10n ** 17n,
      3n * 10n ** 18n,
    ])
    expect(decodeRevertData(min).message).toBe("0.1 0G is below the on-chain minimum of 3 0G")
  })

  it("decodes OZ string reverts, panics, bare reverts and unknown selectors", () => {
    const iface = new Interface(["error Error(string)", "error Panic(uint256)", "error Other(uint256)"])
    const owner = revertFromError({ data: iface.encodeErrorResult("Error", ["Ownable: caller is not the owner"]) })
    expect(owner).toMatchObject({
      error: "Error",
      args: { reason: "Ownable: caller is not the owner" },
      selector: "0x08c379a0",
    })
    expect(owner?.message).toMatch(/Only the contract owner/)
    const reentrant = revertFromError({ data: iface.encodeErrorResult("Error", ["ReentrancyGuard: reentrant call"]) })
    expect(reentrant?.message).toMatch(/Re-entrant/)
    const custom = revertFromError({ data: iface.encodeErrorResult("Error", ["something else"]) })
    expect(custom?.message).toBe("Reverted: something else")
    const panic = revertFromError({ data: iface.encodeErrorResult("Panic", [0x11]) })
    expect(panic).toMatchObject({ error: "Panic", args: { code: 17n }, selector: "0x4e487b71" })
    expect(panic?.message).toMatch(/0x11: arithmetic overflow/)
    expect(revertFromError({ code: "CALL_EXCEPTION", data: "0x" })?.error).toBe("EmptyRevert")
    const unknown = revertFromError({ data: iface.encodeErrorResult("Other", [1]) })
    expect(unknown).toMatchObject({ error: "UnknownError", contract: undefined })
    expect(unknown?.message).toMatch(/unknown error \(selector 0x/)
    expect(revertFromError({ data: "0x1234" })?.error).toBe("UnknownError")
  })

  it("decodes real ethers errors and ignores non-revert errors", () => {
    const data = contractInterfaces.LedgerManager.encodeErrorResult("LedgerExists", [USER])
    const ethersErr = makeError("execution reverted", "CALL_EXCEPTION", {
      action: "estimateGas",
      data,
      reason: null,
      transaction: { to: PROVIDER, data: "0x" },
      invocation: null,
      revert: null,
    })
    expect(revertFromError(ethersErr, "LedgerManager")?.error).toBe("LedgerExists")
    expect(
      revertFromError(
        makeError("no data", "CALL_EXCEPTION", {
          action: "call",
          data: null,
          reason: null,
          transaction: { to: null, data: "0x" },
          invocation: null,
          revert: null,
        }),
      )?.error,
    ).toBe("EmptyRevert")
    expect(revertFromError(makeError("insufficient funds", "INSUFFICIENT_FUNDS", { transaction: {} }))).toBeUndefined()
    expect(revertFromError(new Error("socket hang up"))).toBeUndefined()
    // a transaction hash elsewhere in the error is not revert data
    expect(
      extractRevertData({ hash: `0x${"ab".repeat(32)}`, receipt: { blockHash: `0x${"cd".repeat(32)}` } }),
    ).toBeUndefined()
  })

  it("narrows with isRevert", () => {
    const r = decodeRevertData(
      contractInterfaces.InferenceServing.encodeErrorResult("AccountNotExists", [USER, PROVIDER]),
    )
    expect(isRevert(r, "AccountNotExists")).toBe(true)
    expect(isRevert(r, "AccountExists")).toBe(false)
    if (isRevert(r, "AccountNotExists")) expect(r.args.provider).toBe(PROVIDER)
  })

  it("round-trips arbitrary arguments (property)", () => {
    const lm = contractInterfaces.LedgerManager
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
        (bytes, a, b) => {
          const user = getAddress(`0x${Buffer.from(bytes).toString("hex")}`)
          expect(decodeRevertData(lm.encodeErrorResult("LedgerNotExists", [user])).args).toEqual({ user })
          const r = revertFromError({
            info: { error: { data: lm.encodeErrorResult("InsufficientAvailableBalance", [a, b]) } },
          })
          expect(r?.args).toEqual({ available: a, required: b })
        },
      ),
      { numRuns: 200 },
    )
  })
})
