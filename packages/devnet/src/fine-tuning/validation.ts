/**
 * Create-time checks of the emulated broker (fine-tuning-protocol.md §3.3, §4): the strict `trainingParams` schema,
 * the model catalogue, and body field shapes. Each failure is a message the route returns as `{"error": …}`.
 */
import type { TrainingParams } from "./trainer.js"

export interface EmulatedModel {
  readonly name: string
  readonly hash: string
  readonly image: string
  readonly dataType: "text" | "image"
  readonly trainingScript: string
  readonly description: string
  readonly tokenizer: string
  /** 0 predefined, 1 customized (listed by `/v1/model`). */
  readonly modelType: 0 | 1
}

/** `mock-model` (the SDK's hardhat table) as a customized model, and the public Qwen2.5 hash as predefined. */
export const EMULATED_MODELS: ReadonlyArray<EmulatedModel> = [
  {
    name: "mock-model",
    hash: "0xcb42b5ca9e998c82dd239ef2d20d22a4ae16b3dc0ce0a855c93b52c7c2bab6dc",
    image: "devnet/char-ngram:1",
    dataType: "text",
    trainingScript: "/app/train_ngram.py",
    description: "Devnet model: a character trigram model trained on the dataset texts",
    tokenizer: "whitespace",
    modelType: 1,
  },
  {
    name: "Qwen2.5-0.5B-Instruct",
    hash: "0xb4f76a886b8655c92bb021922d60b5e4d9271a5c9da98b6cb10937a06c2c75a7",
    image: "devnet/char-ngram:1",
    dataType: "text",
    trainingScript: "/app/train_ngram.py",
    description: "Predefined model hash accepted by the devnet (trained as a character trigram model)",
    tokenizer: "Qwen/Qwen2.5-0.5B-Instruct",
    modelType: 0,
  },
]

export const findModel = (nameOrHash: string): EmulatedModel | undefined =>
  EMULATED_MODELS.find((m) => m.name === nameOrHash || m.hash.toLowerCase() === nameOrHash.toLowerCase())

const KEYS = [
  "neftune_noise_alpha",
  "num_train_epochs",
  "per_device_train_batch_size",
  "learning_rate",
  "max_steps",
] as const

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v)

/** Parses `trainingParams` (a string of JSON) with the newer brokers' strict rules; returns an error message or the params. */
export const parseTrainingParams = (raw: string): TrainingParams | string => {
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    return "trainingParams is not valid JSON"
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return "trainingParams must be a JSON object"
  const obj = json as Record<string, unknown>
  const extra = Object.keys(obj).filter((k) => !(KEYS as ReadonlyArray<string>).includes(k))
  if (extra.length > 0) return `trainingParams: unsupported key(s) ${extra.join(", ")}`
  const missing = KEYS.filter((k) => !(k in obj))
  if (missing.length > 0) return `trainingParams: missing key(s) ${missing.join(", ")}`
  const { neftune_noise_alpha: alpha, num_train_epochs: epochs, per_device_train_batch_size: batch } = obj
  const { learning_rate: lr, max_steps: steps } = obj
  if (typeof alpha !== "number" || alpha < 0 || alpha > 10) return "trainingParams: neftune_noise_alpha must be 0–10"
  if (!isInt(epochs) || epochs < 1 || epochs > 10) return "trainingParams: num_train_epochs must be an integer 1–10"
  if (!isInt(batch) || batch < 1 || batch > 4)
    return "trainingParams: per_device_train_batch_size must be an integer 1–4"
  if (typeof lr !== "number" || lr < 0.00001 || lr > 0.001) return "trainingParams: learning_rate must be 0.00001–0.001"
  // The broker reads the raw text: scientific notation is rejected even when the value is in range.
  const lrText = /"learning_rate"\s*:\s*([^,}\s]+)/.exec(raw)?.[1] ?? ""
  if (/[eE]/.test(lrText)) return "trainingParams: learning_rate must be written in decimal notation"
  if (!isInt(steps) || (steps !== -1 && steps < 1)) return "trainingParams: max_steps must be -1 or a positive integer"
  return {
    neftune_noise_alpha: alpha,
    num_train_epochs: epochs,
    per_device_train_batch_size: batch,
    learning_rate: lr,
    max_steps: steps,
  }
}

export const isAddress = (s: unknown): s is string => typeof s === "string" && /^0x[0-9a-fA-F]{40}$/.test(s)
export const isHash32 = (s: unknown): s is string => typeof s === "string" && /^0x[0-9a-fA-F]{64}$/.test(s)
export const isDecimal = (s: unknown): s is string => typeof s === "string" && /^[0-9]+$/.test(s)
export const isSignature = (s: unknown): s is string => typeof s === "string" && /^0x[0-9a-fA-F]{130}$/.test(s)
