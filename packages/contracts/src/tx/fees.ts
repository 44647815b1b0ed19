/**
 * Pure pieces of the transaction engine: fee bumps, gas headroom and classification of send errors.
 */
import { redactUrls } from "@0g-compute/core"
import { isError } from "ethers"

/** EIP-1559 fees, or a legacy gas price on chains without a base fee. */
export type Fees =
  | { readonly type: 2; readonly maxFeePerGas: bigint; readonly maxPriorityFeePerGas: bigint }
  | { readonly type: 0; readonly gasPrice: bigint }

const bigMax = (a: bigint, b: bigint) => (a >= b ? a : b)
const bigMin = (a: bigint, b: bigint) => (a <= b ? a : b)

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
    maxFeePerGas: bigMax(maxFeePerGas, maxPriorityFeePerGas),
  }
}

/** The lowest price a replacement of `fees` may offer: 10 % more on every field (the nodes' rule). */
export const minReplacement = (fees: Fees): Fees => bumpFees(fees, 10)

/**
 * `fees` under a ceiling of `max` per gas, or the price the network needs when that is above it. For EIP-1559 the
 * network needs the base fee; the max fee and the tip are lowered to the ceiling.
 */
export const capFees = (fees: Fees, max: bigint, baseFee: bigint): Fees | { readonly required: bigint } => {
  if (fees.type === 0) return fees.gasPrice > max ? { required: fees.gasPrice } : fees
  if (baseFee > max) return { required: baseFee }
  const maxFeePerGas = bigMin(fees.maxFeePerGas, max)
  const tip = fees.maxPriorityFeePerGas
  return { type: 2, maxFeePerGas, maxPriorityFeePerGas: bigMin(tip, maxFeePerGas) }
}

/**
 * A replacement for `previous`: bumped by `percent`, at least `network`, at most `max`. When the ceiling does not
 * leave the 10 % a node demands, the price that would be needed.
 */
export const replacementFees = (
  previous: Fees,
  percent: number,
  network: Fees | undefined,
  max: bigint | undefined,
): Fees | { readonly required: bigint } => {
  let next = bumpFees(previous, Math.max(10, percent))
  if (network !== undefined && next.type === network.type && maxPricePerGas(network) > maxPricePerGas(next)) {
    next =
      network.type === 0
        ? network
        : {
            type: 2,
            maxFeePerGas: network.maxFeePerGas,
            maxPriorityFeePerGas:
              next.type === 2 && next.maxPriorityFeePerGas > network.maxPriorityFeePerGas
                ? next.maxPriorityFeePerGas
                : network.maxPriorityFeePerGas,
          }
  }
  if (max === undefined || maxPricePerGas(next) <= max) return next
  const floor = minReplacement(previous)
  if (maxPricePerGas(floor) > max) return { required: maxPricePerGas(floor) }
  if (next.type === 0) return { type: 0, gasPrice: max }
  const tip = next.maxPriorityFeePerGas > max ? max : next.maxPriorityFeePerGas
  const minTip = floor.type === 2 ? floor.maxPriorityFeePerGas : 0n
  return { type: 2, maxFeePerGas: max, maxPriorityFeePerGas: tip < minTip ? minTip : tip }
}

/** The highest price per gas these fees may pay (what a node checks the balance against). */
export const maxPricePerGas = (fees: Fees): bigint => (fees.type === 0 ? fees.gasPrice : fees.maxFeePerGas)

/** Estimated gas plus headroom, for state that can move between estimation and inclusion. */
export const withHeadroom = (estimate: bigint, percent: number): bigint => estimate + ceilPercent(estimate, percent)

/** How the engine reacts to a failed broadcast. */
export type SendFailure = "nonce" | "underpriced" | "insufficient-funds" | "other"

/** The messages of an error and its nested causes (ethers wraps the node's answer under info.error / error). */
export const messageOf = (err: unknown): string => {
  const parts: string[] = []
  let cur: unknown = err
  for (let i = 0; i < 5 && typeof cur === "object" && cur !== null; i++) {
    const o = cur as { message?: unknown; shortMessage?: unknown; info?: { error?: unknown }; error?: unknown }
    if (typeof o.message === "string") parts.push(o.message)
    if (typeof o.shortMessage === "string") parts.push(o.shortMessage)
    cur = o.info?.error ?? o.error
  }
  return redactUrls(parts.join(" | "))
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
