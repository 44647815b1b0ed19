/**
 * What a fine-tuning provider charges per pre-trained model — a wire fact shared by the client
 * (`@0g-compute/fine-tuning`, which funds the sub-account) and the emulated provider (`@0g-compute/devnet`, which
 * charges), kept here once so the two cannot drift.
 *
 * Source: the provider's broker, public repository `0gfoundation/0g-serving-broker` (Go):
 * - `api/fine-tuning/internal/services/setup.go`, `Setup.verify`:
 *   fee = tokenSize × pricePerToken × trainEpochs × PriceCoefficient + StorageFee (all integer neuron, big.Int);
 *   a sub-account with balance − pendingRefund below it fails the task in setup.
 * - `api/fine-tuning/const/const.go`, `SCRIPT_MAP map[string]ModelConfig` (the ModelConfig build, read 2026-12-05):
 *   Qwen2.5-0.5B-Instruct 0xb4f7…75a7 → PriceCoefficient 1, StorageFee 10000000000000000 (0.01 0G);
 *   Qwen3-32B 0x2e6f…f3a5 → PriceCoefficient 8, StorageFee 90000000000000000 (0.09 0G).
 *   Any other hash (customized models included) fails setup with "model configuration not found in SCRIPT_MAP".
 * The broker's `/v1/model` list (`config.CustomizedModel`) publishes no coefficient or storage fee, so this table is
 * the only source; a provider that does publish them (`priceCoefficient`, `storageFee`) takes precedence.
 */

export interface FineTuningFeeTerms {
  /** Multiplies tokens × pricePerToken × epochs. */
  readonly priceCoefficient: bigint
  /** Added once per task, absolute neuron (reserved for storing the LoRA adapter). */
  readonly storageFee: bigint
}

export interface FineTuningModelFee extends FineTuningFeeTerms {
  readonly name: string
  readonly hash: string
  /** Where the numbers come from. */
  readonly source: "broker SCRIPT_MAP" | "devnet"
}

const E16 = 10_000_000_000_000_000n

export const FINE_TUNING_MODEL_FEES: ReadonlyArray<FineTuningModelFee> = [
  {
    name: "Qwen2.5-0.5B-Instruct",
    hash: "0xb4f76a886b8655c92bb021922d60b5e4d9271a5c9da98b6cb10937a06c2c75a7",
    priceCoefficient: 1n,
    storageFee: E16,
    source: "broker SCRIPT_MAP",
  },
  {
    name: "Qwen3-32B",
    hash: "0x2e6f9620c35bdcb2b753cc7aa34e78077a8ed133e36fa36008fd6bdfd29af3a5",
    priceCoefficient: 8n,
    storageFee: 9n * E16,
    source: "broker SCRIPT_MAP",
  },
  // The broker's MOCK_MODEL_ROOT_HASH; its SCRIPT_MAP entry is commented out in the newest build (coefficient 1,
  // "1 unit = 0.01 tokens" of storage). The devnet serves it, so it charges those terms.
  {
    name: "mock-model",
    hash: "0xcb42b5ca9e998c82dd239ef2d20d22a4ae16b3dc0ce0a855c93b52c7c2bab6dc",
    priceCoefficient: 1n,
    storageFee: E16,
    source: "devnet",
  },
]

/** The table's terms for a model hash (case-insensitive), or undefined when the broker would not know it either. */
export const fineTuningFeeTerms = (modelHash: string): FineTuningModelFee | undefined =>
  FINE_TUNING_MODEL_FEES.find((m) => m.hash.toLowerCase() === modelHash.toLowerCase())

/** The broker's `Setup.verify` fee in neuron: tokens × pricePerToken × epochs × priceCoefficient + storageFee. */
export const fineTuningFee = (
  tokens: number | bigint,
  pricePerToken: bigint,
  epochs: number | bigint,
  terms: FineTuningFeeTerms,
): bigint => BigInt(tokens) * pricePerToken * BigInt(epochs) * terms.priceCoefficient + terms.storageFee
