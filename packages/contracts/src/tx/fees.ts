/**
 * Pure pieces of the transaction engine: fee bumps, gas headroom and classification of send errors.
 */
import { isError } from "ethers"

/** EIP-1559 fees, or a legacy gas price on chains without a base fee. */
export type Fees =
  | { readonly type: 2; readonly maxFeePerGas: bigint; readonly maxPriorityFeePerGas: bigint }
  | { readonly type: 0; readonly gasPrice: bigint }

const ceilPercent = (x: bigint, percent: number): bigint => {
  const p = BigInt(Math.ceil(percent * 100))
  return (x * p + 9_999n) / 10_000n
}

/** `x` raised by `percent` (rounded up) and by at least 1 wei, so a bump is never a no-op. */
export const bumpBy = (x: bigint, percent: number): bigint => {
  const up = ceilPercent(x, percent)
  return x + (up > 0n ? up : 1n)
}

/**
 * Fees for a replacement: nodes require ≥ 10% more on both EIP-1559 fields (or on gasPrice), so callers pass
 * `percent ≥ 10`. The max fee never drops below the priority fee.
 */
export const bumpFees = (fees: Fees, percent: number): Fees => {
  if (fees.type === 0) return { type: 0, gasPrice: bumpBy(fees.gasPrice, percent) }
  const maxPriorityFeePerGas = bumpBy(fees.maxPriorityFeePerGas, percent)
  const maxFeePerGas = bumpBy(fees.maxFeePerGas, percent)
  return {
    type: 2,
    maxPriorityFeePerGas,
    maxFeePerGas: maxFeePerGas < maxPriorityFeePerGas ? maxPriorityFeePerGas : maxFeePerGas,
  }
}

/** The highest price per gas these fees may pay (what a node checks the balance against). */
export const maxPricePerGas = (fees: Fees): bigint => (fees.type === 0 ? fees.gasPrice : fees.maxFeePerGas)

/** Estimated gas plus headroom, for state that can move between estimation and inclusion. */
export const withHeadroom = (estimate: bigint, percent: number): bigint => estimate + ceilPercent(estimate, percent)

/** How the engine reacts to a failed broadcast. */
export type SendFailure = "nonce" | "underpriced" | "insufficient-funds" | "other"

const messageOf = (err: unknown): string => {
  const parts: string[] = []
  let cur: unknown = err
  for (let i = 0; i < 5 && typeof cur === "object" && cur !== null; i++) {
    const o = cur as { message?: unknown; shortMessage?: unknown; info?: { error?: unknown }; error?: unknown }
    if (typeof o.message === "string") parts.push(o.message)
    if (typeof o.shortMessage === "string") parts.push(o.shortMessage)
    cur = o.info?.error ?? o.error
  }
  return parts.join(" | ")
}

/** Classifies an error from `sendTransaction` by ethers code first, then by the node's message. */
export const classifySendError = (err: unknown): SendFailure => {
  if (isError(err, "NONCE_EXPIRED")) return "nonce"
  if (isError(err, "REPLACEMENT_UNDERPRICED")) return "underpriced"
  if (isError(err, "INSUFFICIENT_FUNDS")) return "insufficient-funds"
  const msg = messageOf(err)
  if (/nonce too low|nonce has already been used|nonce is too low|invalid nonce/i.test(msg)) return "nonce"
  if (/underpriced|fee too low|gas price too low|less than block base fee|max fee per gas less/i.test(msg)) {
    return "underpriced"
  }
  if (/insufficient funds/i.test(msg)) return "insufficient-funds"
  return "other"
}
