/**
 * Revert decoding: finds the revert data inside whatever ethers threw (estimateGas, call/staticCall, sendTransaction,
 * JSON-RPC error bodies) and decodes it against the three ABIs into a `ContractRevert`.
 */

import { isRecord } from "@0g-compute/core"
import { type ErrorDescription, isError } from "ethers"
import { CONTRACT_NAMES, type ContractName, contractInterfaces } from "./clients.js"
import { ContractRevert } from "./errors.js"
import type { CustomErrorArgs, CustomErrorName } from "./revert-messages.js"

const ERROR_STRING = "0x08c379a0" // Error(string)
const PANIC = "0x4e487b71" // Panic(uint256)

const isHexData = (s: string) => /^0x([0-9a-fA-F]{2})*$/.test(s)

/**
 * The revert data carried by an error, wherever the provider put it: `error.data`, `error.info.error.data`,
 * `error.error.data`, `{data: {data}}`, or a JSON-RPC body string. Only `data` fields are read, so a transaction hash
 * elsewhere in the error is never mistaken for revert data.
 */
export const extractRevertData = (err: unknown): string | undefined => {
  const seen = new Set<unknown>()
  const visit = (v: unknown, depth: number): string | undefined => {
    if (!isRecord(v) || depth > 6 || seen.has(v)) return undefined
    seen.add(v)
    const d = v.data
    if (typeof d === "string" && isHexData(d)) return d
    const nested = visit(d, depth + 1)
    if (nested !== undefined) return nested
    for (const key of ["info", "error", "cause", "revert"]) {
      const r = visit(v[key], depth + 1)
      if (r !== undefined) return r
    }
    for (const key of ["body", "responseBody"]) {
      const body = v[key]
      if (typeof body === "string" && body.startsWith("{")) {
        try {
          const r = visit(JSON.parse(body), depth + 1)
          if (r !== undefined) return r
        } catch {
          // not JSON: ignore
        }
      }
    }
    return undefined
  }
  return visit(err, 0)
}

const argsOf = (desc: ErrorDescription): Record<string, unknown> =>
  Object.fromEntries(desc.fragment.inputs.map((p, i) => [p.name || `arg${i}`, desc.args[i]]))

/**
 * Decodes revert data. `hint` is the contract that was called: its ABI is tried first, which matters when two ABIs
 * share a selector under different argument names (e.g. `BatchSizeTooLarge`).
 */
export const decodeRevertData = (data: string, hint?: ContractName): ContractRevert => {
  const selector = data.length >= 10 ? data.slice(0, 10).toLowerCase() : data
  const make = (contract: ContractName | undefined, error: string, args: Record<string, unknown>) =>
    new ContractRevert({ contract, error, args, selector, data })
  if (data === "0x") return make(undefined, "EmptyRevert", {})
  const order = hint ? [hint, ...CONTRACT_NAMES.filter((n) => n !== hint)] : CONTRACT_NAMES
  try {
    if (selector === ERROR_STRING || selector === PANIC) {
      const desc = contractInterfaces.LedgerManager.parseError(data)
      if (desc)
        return make(undefined, desc.name, selector === PANIC ? { code: desc.args[0] } : { reason: desc.args[0] })
    }
    for (const name of order) {
      const desc = contractInterfaces[name].parseError(data)
      if (desc) return make(name, desc.name, argsOf(desc))
    }
  } catch {
    // selector known but arguments malformed: report as unknown below
  }
  return make(undefined, "UnknownError", { selector })
}

/**
 * The decoded revert behind an ethers error, or undefined when the error is not a revert (network failure, insufficient
 * funds, …). A CALL_EXCEPTION without data is an `EmptyRevert`.
 */
export const revertFromError = (err: unknown, hint?: ContractName): ContractRevert | undefined => {
  if (err instanceof ContractRevert) return err
  const data = extractRevertData(err)
  if (data !== undefined) return decodeRevertData(data, hint)
  if (isError(err, "CALL_EXCEPTION")) return decodeRevertData("0x", hint)
  return undefined
}

/** Narrows a `ContractRevert` to one custom error, typing its arguments. */
export const isRevert = <K extends CustomErrorName>(
  u: unknown,
  name: K,
): u is ContractRevert & { readonly error: K; readonly args: CustomErrorArgs<K> } =>
  u instanceof ContractRevert && u.error === name
