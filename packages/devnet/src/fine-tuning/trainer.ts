/**
 * The emulator's "training": a deterministic character n-gram model over the dataset's texts, written as the files of
 * an `output_model/` directory and zipped. Tiny and fast, yet the output depends on every byte of the data, so a test
 * can prove the decrypted model is the one trained on its dataset (same input → byte-identical zip).
 */
import type { TrainingParams } from "@0g-compute/core"
import { strToU8, zipSync } from "fflate"

export type { TrainingParams }

export const NGRAM_ORDER = 3
/** Most frequent n-grams kept in the model file (ties broken by the n-gram itself). */
export const NGRAM_LIMIT = 4096
// Fixed zip timestamps: fflate would otherwise stamp the current time and the bytes would differ per run.
const ZIP_MTIME = "1980-01-01T00:00:00"

export class DatasetInvalid extends Error {
  override readonly name = "DatasetInvalid"
}

/** The broker's billing unit on the devnet: whitespace-separated words of the raw JSONL (spec §12). */
export const countTokens = (dataset: Uint8Array): number => {
  const text = new TextDecoder().decode(dataset).trim()
  return text === "" ? 0 : text.split(/\s+/).length
}

const str = (u: unknown) => (typeof u === "string" ? u : "")

/** The text of one example in any of the three accepted formats (chat, text, instruction/input/output). */
const exampleText = (row: unknown, line: number): string => {
  if (typeof row !== "object" || row === null) throw new DatasetInvalid(`line ${line}: not a JSON object`)
  const r = row as Record<string, unknown>
  if (Array.isArray(r.messages)) {
    return r.messages.map((m) => str((m as { content?: unknown } | null)?.content)).join("\n")
  }
  if (typeof r.text === "string") return r.text
  if (typeof r.instruction === "string" || typeof r.output === "string") {
    return [str(r.instruction), str(r.input), str(r.output)].filter((s) => s !== "").join("\n")
  }
  throw new DatasetInvalid(`line ${line}: expected "messages", "text" or "instruction"/"input"/"output"`)
}

/** Parses the JSONL dataset into example texts; blank lines are skipped. */
export const datasetExamples = (dataset: Uint8Array): ReadonlyArray<string> => {
  const lines = new TextDecoder().decode(dataset).split("\n")
  const out: Array<string> = []
  lines.forEach((raw, i) => {
    if (raw.trim() === "") return
    let row: unknown
    try {
      row = JSON.parse(raw)
    } catch {
      throw new DatasetInvalid(`line ${i + 1}: invalid JSON`)
    }
    out.push(exampleText(row, i + 1))
  })
  if (out.length === 0) throw new DatasetInvalid("the dataset has no examples")
  return out
}

/** Character n-gram counts over the examples (each example counted once per epoch). */
export const countNgrams = (examples: ReadonlyArray<string>, epochs: number, n = NGRAM_ORDER): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const text of examples) {
    const chars = Array.from(text)
    for (let i = 0; i + n <= chars.length; i++) {
      const gram = chars.slice(i, i + n).join("")
      counts.set(gram, (counts.get(gram) ?? 0) + epochs)
    }
  }
  return counts
}

export interface TrainedModel {
  /** The zip of `output_model/` (what gets encrypted and delivered). */
  readonly zip: Uint8Array
  readonly examples: number
  readonly tokens: number
  readonly ngrams: ReadonlyArray<readonly [string, number]>
}

/** Trains and zips. Pure: the same dataset, params and model name always give the same bytes. */
export const trainNgramModel = (dataset: Uint8Array, params: TrainingParams, baseModel: string): TrainedModel => {
  const examples = datasetExamples(dataset)
  const counts = countNgrams(examples, params.num_train_epochs)
  const ngrams = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, NGRAM_LIMIT)
  const config = {
    base_model_name_or_path: baseModel,
    model_type: "char-ngram",
    n: NGRAM_ORDER,
    num_train_epochs: params.num_train_epochs,
    learning_rate: params.learning_rate,
    per_device_train_batch_size: params.per_device_train_batch_size,
    examples: examples.length,
    tokens: countTokens(dataset),
  }
  const file = (text: string): [Uint8Array, { mtime: string }] => [strToU8(text), { mtime: ZIP_MTIME }]
  const zip = zipSync(
    {
      "output_model/adapter_config.json": file(`${JSON.stringify(config, null, 2)}\n`),
      "output_model/ngram_model.json": file(`${JSON.stringify({ n: NGRAM_ORDER, ngrams })}\n`),
    },
    { level: 6 },
  )
  return { zip, examples: examples.length, tokens: config.tokens, ngrams }
}
