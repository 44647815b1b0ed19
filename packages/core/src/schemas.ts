/**
 * Schemas of the live on-chain structs (spec contracts.md §4), decoded from ethers `Result`s into plain objects with
 * bigint amounts. Field order follows the ABI.
 *
 * Mapping from the Jan-2025 design structs (contracts.md Appendix A), for readers of the original design:
 * - Ledger: `inferenceSigner` (ZK key) and the provider arrays are gone; providers come from
 *   `LedgerManager.getLedgerProviders(user, serviceName)`.
 * - Inference Account: `signer` is gone; `acknowledged`, `validRefundsLength`, `generation`, `revokedBitmap` are new.
 * - Inference Service: `name` is gone (one service per provider); `additionalInfo`, `teeSignerAddress`,
 *   `teeSignerAcknowledged` are new.
 * - Fine-tuning Service: `name` and `providerSigner` are gone; `models` and `teeSignerAddress`,
 *   `teeSignerAcknowledged` are new, and the field order changed.
 * - Fine-tuning Account: split into `AccountSummary` (lists) and `AccountDetails` (getAccount).
 * - Deliverable: addressed by string `id` instead of index; `timestamp` (uint248) and `settled` are new.
 * - Refund: unchanged (fine-tuning renames `processed` to `_deprecated_processed`).
 */
import { Effect, Schema } from "effect"
import { MalformedData } from "./errors.js"

/** A 20-byte hex address (case is not checked here; use `parseAddress` for user input). */
export const Address = Schema.String.pipe(Schema.check(Schema.isPattern(/^0x[0-9a-fA-F]{40}$/)))
/** 0x-prefixed hex bytes. */
const HexBytes = Schema.String.pipe(Schema.check(Schema.isPattern(/^0x([0-9a-fA-F]{2})*$/)))
const U256 = Schema.BigInt

export const Ledger = Schema.Struct({
  user: Address,
  availableBalance: U256,
  totalBalance: U256,
  additionalInfo: Schema.String,
})
export type Ledger = typeof Ledger.Type

export const ServiceInfo = Schema.Struct({
  serviceAddress: Address,
  serviceContract: Address,
  serviceType: Schema.String,
  version: Schema.String,
  fullName: Schema.String,
  description: Schema.String,
  isRecommended: Schema.Boolean,
  registeredAt: U256,
})
export type ServiceInfo = typeof ServiceInfo.Type

/** Both services' refund structs; only the name of the last field differs. */
const refundFields = { index: U256, amount: U256, createdAt: U256 }

export const Refund = Schema.Struct({ ...refundFields, processed: Schema.Boolean })
export type Refund = typeof Refund.Type

/** Fine-tuning names the last Refund field differently; same ABI type. */
const FineTuningRefund = Schema.Struct({ ...refundFields, _deprecated_processed: Schema.Boolean })

/** The fields both services' per-provider account structs open with, in ABI order. */
const accountHead = { user: Address, provider: Address, nonce: U256, balance: U256, pendingRefund: U256 }

export const InferenceAccount = Schema.Struct({
  ...accountHead,
  refunds: Schema.Array(Refund),
  additionalInfo: Schema.String,
  acknowledged: Schema.Boolean,
  validRefundsLength: U256,
  generation: U256,
  revokedBitmap: U256,
})
export type InferenceAccount = typeof InferenceAccount.Type

export const InferenceService = Schema.Struct({
  provider: Address,
  serviceType: Schema.String,
  url: Schema.String,
  inputPrice: U256,
  outputPrice: U256,
  updatedAt: U256,
  model: Schema.String,
  verifiability: Schema.String,
  additionalInfo: Schema.String,
  teeSignerAddress: Address,
  teeSignerAcknowledged: Schema.Boolean,
})
export type InferenceService = typeof InferenceService.Type

export const Quota = Schema.Struct({
  cpuCount: U256,
  nodeMemory: U256,
  gpuCount: U256,
  nodeStorage: U256,
  gpuType: Schema.String,
})

export const FineTuningService = Schema.Struct({
  provider: Address,
  url: Schema.String,
  quota: Quota,
  pricePerToken: U256,
  occupied: Schema.Boolean,
  models: Schema.Array(Schema.String),
  teeSignerAddress: Address,
  teeSignerAcknowledged: Schema.Boolean,
})
export type FineTuningService = typeof FineTuningService.Type

export const Deliverable = Schema.Struct({
  id: Schema.String,
  modelRootHash: HexBytes,
  encryptedSecret: HexBytes,
  acknowledged: Schema.Boolean,
  timestamp: U256,
  settled: Schema.Boolean,
})
export type Deliverable = typeof Deliverable.Type

export const FineTuningAccountSummary = Schema.Struct({
  ...accountHead,
  additionalInfo: Schema.String,
  validRefundsLength: U256,
  deliverablesCount: U256,
  acknowledged: Schema.Boolean,
})
export type FineTuningAccountSummary = typeof FineTuningAccountSummary.Type

export const FineTuningAccountDetails = Schema.Struct({
  ...accountHead,
  refunds: Schema.Array(FineTuningRefund),
  additionalInfo: Schema.String,
  deliverables: Schema.Array(Deliverable),
  validRefundsLength: U256,
  deliverablesHead: U256,
  deliverablesCount: U256,
  acknowledged: Schema.Boolean,
})
export type FineTuningAccountDetails = typeof FineTuningAccountDetails.Type

/** Turns an ethers `Result` (array with names) into plain objects/arrays, recursively. */
const plainResult = (value: unknown): unknown => {
  if (!Array.isArray(value)) return value
  const r = value as unknown[] & { toObject?: (deep?: boolean) => Record<string, unknown> }
  if (typeof r.toObject === "function") {
    try {
      const obj = r.toObject(false)
      const keys = Object.keys(obj)
      // Arrays of tuples report a placeholder name "_" per element; structs name every field.
      if (keys.length === r.length && keys.length > 0 && !keys.includes("_")) {
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, plainResult(v)]))
      }
    } catch {
      // unnamed tuple or array: fall through
    }
  }
  return Array.from(r, plainResult)
}

/** Decodes a value returned by a contract call against a struct Schema; a mismatch is {@link MalformedData}. */
export const decodeChainStruct =
  <S extends Schema.Decoder<unknown>>(schema: S, what: string) =>
  (value: unknown): Effect.Effect<S["Type"], MalformedData> =>
    Schema.decodeUnknownEffect(schema)(plainResult(value)).pipe(
      Effect.mapError((e) => new MalformedData({ what, detail: String(e.message ?? e) })),
    )
