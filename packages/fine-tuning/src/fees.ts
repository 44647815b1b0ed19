/**
 * The fine-tuning fee as the provider charges it. The per-model table (price coefficient and storage fee, with its
 * source in the broker's code) lives once in `@0g-compute/core` (`FINE_TUNING_MODEL_FEES`), shared with the devnet's
 * emulated provider; this module picks the terms for a model and computes the fee the sub-account must hold.
 *
 * Order of preference: terms the caller passes explicitly, then terms the provider publishes in its model list,
 * then the table. A model none of them covers is `ModelFeeUnknown` — the broker itself fails such a task in setup,
 * so guessing would only under-fund it.
 */
import {
  FINE_TUNING_MODEL_FEES,
  type FineTuningFeeTerms,
  type FineTuningModelFee,
  fineTuningFee,
  fineTuningFeeTerms,
} from "@0g-compute/core"
import { Effect } from "effect"
import { InvalidTokenCount, ModelFeeUnknown } from "./errors.js"
import type { ModelInfo } from "./training.js"

export { FINE_TUNING_MODEL_FEES, type FineTuningFeeTerms, type FineTuningModelFee, fineTuningFee, fineTuningFeeTerms }

/** The fee of one task, with every factor, shown to the user before the task is created. Amounts in neuron. */
export interface TaskFee {
  readonly model: string
  readonly modelHash: string
  readonly tokens: number
  readonly pricePerToken: bigint
  readonly epochs: number
  readonly priceCoefficient: bigint
  readonly storageFee: bigint
  /** tokens × pricePerToken × epochs × priceCoefficient */
  readonly trainingFee: bigint
  /** trainingFee + storageFee: what the sub-account must hold (balance − pendingRefund) at setup. */
  readonly total: bigint
  readonly termsFrom: "explicit" | "provider" | "table"
}

const nonNegativeInt = (v: unknown): bigint | undefined => {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  if (typeof v === "string" && /^\d+$/.test(v.trim())) return BigInt(v.trim())
  return undefined
}

/**
 * Terms a provider publishes beside a model (`priceCoefficient`, `storageFee`, as integers or digit strings).
 * Lenient: anything else, or only one of the two, is ignored rather than failing the whole model list.
 */
export const publishedFeeTerms = (raw: {
  readonly priceCoefficient?: unknown
  readonly storageFee?: unknown
}): FineTuningFeeTerms | undefined => {
  const priceCoefficient = nonNegativeInt(raw.priceCoefficient)
  const storageFee = nonNegativeInt(raw.storageFee)
  return priceCoefficient === undefined || storageFee === undefined ? undefined : { priceCoefficient, storageFee }
}

/**
 * The fee of a task on `model`, or `ModelFeeUnknown` when no terms are known for it; `InvalidTokenCount` for a count
 * that is no whole number ≥ 0.
 */
export const taskFee = (
  model: ModelInfo,
  tokens: number,
  pricePerToken: bigint,
  epochs: number,
  explicit?: FineTuningFeeTerms,
): Effect.Effect<TaskFee, ModelFeeUnknown | InvalidTokenCount> => {
  if (!Number.isSafeInteger(tokens) || tokens < 0) return Effect.fail(new InvalidTokenCount({ tokens }))
  const tabled = fineTuningFeeTerms(model.hash)
  const [terms, termsFrom]: readonly [FineTuningFeeTerms | undefined, TaskFee["termsFrom"]] =
    explicit !== undefined
      ? [explicit, "explicit"]
      : model.feeTerms !== undefined
        ? [model.feeTerms, "provider"]
        : [tabled, "table"]
  if (terms === undefined) return Effect.fail(new ModelFeeUnknown({ model: model.name, hash: model.hash }))
  const total = fineTuningFee(tokens, pricePerToken, epochs, terms)
  return Effect.succeed({
    model: model.name,
    modelHash: model.hash,
    tokens,
    pricePerToken,
    epochs,
    priceCoefficient: terms.priceCoefficient,
    storageFee: terms.storageFee,
    trainingFee: total - terms.storageFee,
    total,
    termsFrom,
  })
}
