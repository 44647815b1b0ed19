/**
 * The engine's numeric options checked once, where they enter: `Number(process.env.X)` is NaN when unset, and NaN
 * or a negative value would otherwise surface as a RangeError mid-replacement, a receipt wait that ends at once, or a
 * resend loop without end.
 */
import { Effect } from "effect"
import type { TxEngineOptions } from "./engine.js"
import { InvalidTxOption } from "./errors.js"

type Check = "positive" | "non-negative" | "finite"

const reasons: Record<Check, string> = {
  positive: "expected a finite number greater than zero",
  "non-negative": "expected a finite number of at least zero",
  finite: "expected a finite number",
}

/** `value` when it is a number meeting `check` (or undefined), else InvalidTxOption naming `option`. */
export const checkNumber = (option: string, value: number | undefined, check: Check) => {
  const ok =
    value === undefined ||
    (typeof value === "number" &&
      Number.isFinite(value) &&
      (check === "finite" || (check === "positive" ? value > 0 : value >= 0)))
  return ok
    ? Effect.succeed(value)
    : Effect.fail(new InvalidTxOption({ option, value: String(value), reason: reasons[check] }))
}

/** A price per gas in neuron: a bigint of at least zero. */
const checkPrice = (option: string, value: bigint | undefined) =>
  value === undefined || (typeof value === "bigint" && value >= 0n)
    ? Effect.void
    : Effect.fail(
        new InvalidTxOption({ option, value: String(value), reason: "expected a bigint number of neuron per gas ≥ 0" }),
      )

export const checkTxOptions = (o: TxEngineOptions) =>
  Effect.all(
    [
      checkNumber("gasHeadroomPercent", o.gasHeadroomPercent, "non-negative"),
      checkNumber("receiptTimeoutMs", o.receiptTimeoutMs, "positive"),
      checkNumber("maxAttempts", o.maxAttempts, "finite"),
      checkNumber("feeBumpPercent", o.feeBumpPercent, "finite"),
      checkNumber("receiptPollMs", o.receiptPollMs, "positive"),
      checkPrice("gasPrice", o.gasPrice),
      checkPrice("maxGasPrice", o.maxGasPrice),
    ],
    { discard: true },
  )
