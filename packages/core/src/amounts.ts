/**
 * Decimal 0G strings ⇄ bigint neuron, exactly. Floats never touch money.
 */
import { Effect, Result, Schema, SchemaGetter, SchemaIssue } from "effect"
import { InvalidAmount } from "./errors.js"
import { formatZG, NEURON_PER_ZG, ZG_DECIMALS } from "./units.js"

export { formatZG, NEURON_PER_ZG, ZG_DECIMALS } from "./units.js"

const DECIMAL = /^(\d+)(?:\.(\d+))?$/

/** Parses a decimal 0G string ("1", "0.5", "3.000000000000000001") into neuron. */
export const parseZGResult = (input: string): Result.Result<bigint, InvalidAmount> => {
  const fail = (reason: string) => Result.fail(new InvalidAmount({ input, reason }))
  if (typeof input !== "string") return fail("not a string")
  const text = input.trim()
  if (text === "") return fail("empty")
  if (text.startsWith("-")) return fail("negative amounts are not allowed")
  if (/[eE]/.test(text)) return fail("exponent notation is not allowed")
  const m = DECIMAL.exec(text)
  if (!m) return fail("expected a decimal number such as 1 or 0.25")
  const whole = m[1] as string
  const fraction = m[2] ?? ""
  if (fraction.length > ZG_DECIMALS) return fail(`more than ${ZG_DECIMALS} decimal places`)
  return Result.succeed(BigInt(whole) * NEURON_PER_ZG + BigInt(fraction.padEnd(ZG_DECIMALS, "0") || "0"))
}

/** Effect form of {@link parseZGResult}. */
export const parseZG = (input: string): Effect.Effect<bigint, InvalidAmount> => Effect.fromResult(parseZGResult(input))

/** Throwing form, for the Promise facades and tests. Throws {@link InvalidAmount}. */
export const parseZGSync = (input: string): bigint => {
  const r = parseZGResult(input)
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

/** Parses a non-negative integer neuron string ("1000000000000000000"). */
export const parseNeuronResult = (input: string): Result.Result<bigint, InvalidAmount> =>
  /^\d+$/.test(input.trim())
    ? Result.succeed(BigInt(input.trim()))
    : Result.fail(new InvalidAmount({ input, reason: "expected a non-negative integer number of neuron" }))

/** Schema: decimal 0G string on the wire, bigint neuron inside. */
export const ZGAmount = Schema.String.pipe(
  Schema.decodeTo(Schema.BigInt, {
    decode: SchemaGetter.transformEffect((s: string) => {
      const r = parseZGResult(s)
      return Result.isSuccess(r)
        ? Effect.succeed(r.success)
        : Effect.fail(new SchemaIssue.InvalidValue({ message: r.failure.message }, s))
    }),
    encode: SchemaGetter.transform((n: bigint) => formatZG(n)),
  }),
)
