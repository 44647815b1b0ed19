/**
 * Training inputs: the strict `trainingParams` schema (fine-tuning-protocol.md §3.3), model resolution (§10) and
 * the fee estimate (§4). Validation happens here, before anything is signed or funded.
 */
import { type FineTuningFeeTerms, fineTuningFee, type NetworkName, type TrainingParams } from "@0g-compute/core"
import { Effect } from "effect"
import { MalformedTrainingConfig, UnknownModel } from "./errors.js"

/** The wire fact lives in core (the devnet's emulated provider reads it too). */
export type { TrainingParams }

/** A validated config: the exact text sent (signed providers read it verbatim) and its values. */
export interface TrainingConfig {
  readonly text: string
  readonly params: TrainingParams
}

export const DEFAULT_TRAINING_PARAMS: TrainingParams = {
  neftune_noise_alpha: 5,
  num_train_epochs: 1,
  per_device_train_batch_size: 2,
  learning_rate: 0.0002,
  max_steps: 3,
}

const KEYS = Object.keys(DEFAULT_TRAINING_PARAMS) as ReadonlyArray<keyof TrainingParams>

const bad = (field: string, reason: string) => Effect.fail(new MalformedTrainingConfig({ field, reason }))
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v)

/** Decimal text of a number from its shortest representation (providers reject `e` notation such as 1e-7). */
const decimal = (n: number): string => {
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(String(n))
  if (m === null) return String(n)
  const [, sign = "", int = "", frac = "", exp = "0"] = m
  const e = Number(exp)
  return e < 0 ? `${sign}0.${"0".repeat(-e - 1)}${int}${frac}` : `${sign}${(int + frac).padEnd(e + 1, "0")}`
}

/** Serialises params the way providers accept them: fixed key order, decimal learning rate. */
export const trainingParamsText = (p: TrainingParams): string =>
  `{"neftune_noise_alpha":${p.neftune_noise_alpha},"num_train_epochs":${p.num_train_epochs},"per_device_train_batch_size":${p.per_device_train_batch_size},"learning_rate":${decimal(p.learning_rate)},"max_steps":${p.max_steps}}`

/**
 * Validates a config given as the file's text (sent verbatim) or as an object (serialised with
 * {@link trainingParamsText}). Exactly the five keys, each within the provider's range.
 */
export const parseTrainingConfig = (
  input: string | Readonly<Record<string, unknown>>,
): Effect.Effect<TrainingConfig, MalformedTrainingConfig> =>
  Effect.gen(function* () {
    let obj: unknown = input
    if (typeof input === "string") {
      try {
        obj = JSON.parse(input)
      } catch {
        return yield* bad("trainingParams", "not valid JSON")
      }
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
      return yield* bad("trainingParams", "must be a JSON object")
    }
    const o = obj as Record<string, unknown>
    const extra = Object.keys(o).filter((k) => !(KEYS as ReadonlyArray<string>).includes(k))
    if (extra.length > 0) return yield* bad(extra[0] ?? "", `unsupported key (allowed: ${KEYS.join(", ")})`)
    const missing = KEYS.find((k) => !(k in o))
    if (missing !== undefined) return yield* bad(missing, "missing")
    const { neftune_noise_alpha: alpha, num_train_epochs: epochs, per_device_train_batch_size: batch } = o
    const { learning_rate: lr, max_steps: steps } = o
    if (typeof alpha !== "number" || alpha < 0 || alpha > 10) return yield* bad("neftune_noise_alpha", "must be 0–10")
    if (!isInt(epochs) || epochs < 1 || epochs > 10) return yield* bad("num_train_epochs", "must be an integer 1–10")
    if (!isInt(batch) || batch < 1 || batch > 4)
      return yield* bad("per_device_train_batch_size", "must be an integer 1–4")
    if (typeof lr !== "number" || lr < 0.00001 || lr > 0.001)
      return yield* bad("learning_rate", "must be 0.00001–0.001")
    if (typeof input === "string" && /[eE]/.test(/"learning_rate"\s*:\s*([^,}\s]+)/.exec(input)?.[1] ?? "")) {
      return yield* bad("learning_rate", "must be written in decimal notation, not scientific (e.g. 0.0002)")
    }
    if (!isInt(steps) || (steps !== -1 && steps < 1)) return yield* bad("max_steps", "must be -1 or a positive integer")
    const params = {
      neftune_noise_alpha: alpha,
      num_train_epochs: epochs,
      per_device_train_batch_size: batch,
      learning_rate: lr,
      max_steps: steps,
    }
    return { text: typeof input === "string" ? input : trainingParamsText(params), params }
  })

// ── Models ────────────────────────────────────────────────────────────────────────────────────────────────────────

export interface ModelInfo {
  readonly name: string
  readonly hash: string
  readonly source: "predefined" | "provider"
  readonly description?: string
  readonly tokenizer?: string
  /** "text" or "image" (the broker sends an integer, 0 or 1; older builds the name). */
  readonly dataType?: string
  /** Fee terms the provider publishes for this model, when it does (the broker's list does not, so far). */
  readonly feeTerms?: FineTuningFeeTerms
}

const QWEN_05B = "0xb4f76a886b8655c92bb021922d60b5e4d9271a5c9da98b6cb10937a06c2c75a7"

/** The official predefined models per network (spec §10); the devnet uses the SDK's hardhat `mock-model`. */
export const PREDEFINED_MODELS: Readonly<Record<NetworkName, ReadonlyArray<ModelInfo>>> = {
  mainnet: [
    { name: "Qwen2.5-0.5B-Instruct", hash: QWEN_05B, source: "predefined", tokenizer: "Qwen/Qwen2.5-0.5B-Instruct" },
    {
      name: "Qwen3-32B",
      hash: "0x2e6f9620c35bdcb2b753cc7aa34e78077a8ed133e36fa36008fd6bdfd29af3a5",
      source: "predefined",
      tokenizer: "Qwen/Qwen3-32B",
    },
  ],
  testnet: [{ name: "Qwen2.5-0.5B-Instruct", hash: QWEN_05B, source: "predefined" }],
  "testnet-dev": [{ name: "Qwen2.5-0.5B-Instruct", hash: QWEN_05B, source: "predefined" }],
  devnet: [
    {
      name: "mock-model",
      hash: "0xcb42b5ca9e998c82dd239ef2d20d22a4ae16b3dc0ce0a855c93b52c7c2bab6dc",
      source: "predefined",
    },
  ],
}

/** A model name or hash → its hash, among the given catalogue (predefined first, then the provider's). */
export const resolveModel = (
  model: string,
  catalogue: ReadonlyArray<ModelInfo>,
): Effect.Effect<ModelInfo, UnknownModel> => {
  const found = catalogue.find((m) => m.name === model || m.hash.toLowerCase() === model.toLowerCase())
  return found !== undefined
    ? Effect.succeed(found)
    : Effect.fail(new UnknownModel({ model, available: [...new Set(catalogue.map((m) => m.name))] }))
}

// ── Fee ───────────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Token estimate of a JSONL dataset: its whitespace-separated words. It is the devnet broker's billing unit; real
 * brokers tokenize with the model's tokenizer, so treat it as an estimate and fund with a margin there.
 */
export const estimateTokens = (dataset: Uint8Array): number => {
  const text = new TextDecoder().decode(dataset).trim()
  return text === "" ? 0 : text.split(/\s+/).length
}

/**
 * The provider's fee in neuron, exactly as the broker computes it in setup (see `fees.ts`):
 * tokens × pricePerToken × epochs × priceCoefficient + storageFee.
 */
export const estimateFee = (tokens: number, pricePerToken: bigint, epochs: number, terms: FineTuningFeeTerms): bigint =>
  fineTuningFee(tokens, pricePerToken, epochs, terms)
