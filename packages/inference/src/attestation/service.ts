/**
 * `Attestation`: the attestation report of a provider (read-only), and `acknowledge` — refuse a provider whose checks
 * fail unless the caller opts in, then make sure the user-level acknowledgement is on chain:
 *
 * - sub-account acknowledged already → nothing is sent;
 * - sub-account present but not acknowledged → `acknowledgeTEESigner(provider, true)`;
 * - no sub-account → created with `fund` through the Ledger (transferFund acknowledges automatically; no redundant
 *   second transaction), or `SubAccountMissing` when no `fund` was given — never a hidden transfer.
 */
import {
  type ContractRevert,
  inferenceServing,
  Ledger,
  TxEngine,
  type TxError,
  type TxResult,
} from "@0g-compute/contracts"
import { Chain, SignerRequired, Wallet } from "@0g-compute/core"
import { Clock, Context, Effect, Layer, Option } from "effect"
import { readAccount } from "../chain-reads.js"
import { InferenceConfig } from "../config.js"
import { Directory, type LookupError } from "../directory.js"
import { AttestationRejected, ProviderNotAcknowledged, SubAccountMissing } from "../errors.js"
import type { AttestationRefused } from "./pins.js"
import {
  type AttestationOptions,
  type AttestationReport,
  attestService,
  reportAccepted,
  reportRefusal,
} from "./report.js"

export interface AcknowledgeOptions extends AttestationOptions {
  /** Accept a devnet quote whose JSON-level checks pass (on the local devnet chain 31337 only). */
  readonly allowDevnet?: boolean
  /** Accept a provider whatever its report says. The report is still returned. */
  readonly allowUnverified?: boolean
  /** Create the sub-account with this many neuron when it does not exist (≥ the on-chain minimum). */
  readonly fund?: bigint
}

export interface AcknowledgeResult {
  readonly report: AttestationReport
  readonly onChain: "already-acknowledged" | "acknowledged" | "created"
  readonly tx: TxResult | undefined
}

type TransferError = Ledger["Service"]["transfer"] extends (...a: never[]) => Effect.Effect<unknown, infer E>
  ? E
  : never

export interface AttestationShape {
  readonly report: (provider: string, options?: AttestationOptions) => Effect.Effect<AttestationReport, LookupError>
  readonly acknowledge: (
    provider: string,
    options?: AcknowledgeOptions,
  ) => Effect.Effect<
    AcknowledgeResult,
    | LookupError
    | AttestationRejected
    | AttestationRefused
    | ProviderNotAcknowledged
    | SubAccountMissing
    | SignerRequired
    | TxError
    | ContractRevert
    | TransferError
  >
}

export class Attestation extends Context.Service<Attestation, AttestationShape>()("zg/inference/Attestation") {
  /** Reports and acknowledgement; needs `Directory`, `Chain`, `Wallet`, `Ledger`, `TxEngine`. */
  static readonly layer = Layer.effect(
    Attestation,
    Effect.gen(function* () {
      const directory = yield* Directory
      const chain = yield* Chain
      const wallet = yield* Wallet
      const ledger = yield* Ledger
      const tx = yield* TxEngine
      return makeAttestation(directory, chain.chainId, { chain, wallet, ledger, tx })
    }),
  )
  /** Reports only (`acknowledge` then fails with `SignerRequired`); needs `Directory` and `Chain`. */
  static readonly layerReadOnly = Layer.effect(
    Attestation,
    Effect.gen(function* () {
      return makeAttestation(yield* Directory, (yield* Chain).chainId, undefined)
    }),
  )
}

interface Writer {
  readonly chain: Chain["Service"]
  readonly wallet: Wallet["Service"]
  readonly ledger: Ledger["Service"]
  readonly tx: TxEngine["Service"]
}

export const makeAttestation = (
  directory: Directory["Service"],
  chainId: bigint,
  writer: Writer | undefined,
): AttestationShape => {
  const report = Effect.fn("Attestation.report")(function* (provider: string, options: AttestationOptions = {}) {
    const service = yield* directory.get(provider)
    const config = yield* InferenceConfig
    const fetchedAt = yield* Clock.currentTimeMillis
    const pinned = Object.entries(config.attestationPins).find(
      ([a]) => a.toLowerCase() === service.provider.toLowerCase(),
    )
    return yield* attestService(service, {
      ...pinned?.[1],
      ...options,
      pccsUrl: options.pccsUrl ?? config.pccsUrl,
      fetchedAt,
      chainId,
    })
  })

  const acknowledge = Effect.fn("Attestation.acknowledge")(function* (
    provider: string,
    options: AcknowledgeOptions = {},
  ) {
    const r = yield* report(provider, options)
    const refusal = reportRefusal(r)
    if (refusal !== undefined) return yield* refusal
    if (!reportAccepted(r, options)) return yield* new AttestationRejected({ provider: r.provider, failed: r.failed })
    const service = yield* directory.cached(r.provider)
    if (!service.teeSignerAcknowledged) {
      return yield* new ProviderNotAcknowledged({ provider: r.provider, level: "owner" })
    }
    if (writer === undefined) return yield* new SignerRequired({ operation: "acknowledge a provider" })
    const user = writer.wallet.address
    const account = yield* readAccount(writer.chain, user, r.provider)
    if (Option.isSome(account) && account.value.acknowledged) {
      return { report: r, onChain: "already-acknowledged", tx: undefined } satisfies AcknowledgeResult
    }
    if (Option.isSome(account)) {
      const serving = inferenceServing(writer.chain.contracts.inference, writer.chain.provider)
      const populated = yield* Effect.promise(() => serving.acknowledgeTEESigner.populateTransaction(r.provider, true))
      const tx = yield* writer.tx.send({
        to: writer.chain.contracts.inference,
        data: populated.data,
        contract: "InferenceServing",
      })
      return { report: r, onChain: "acknowledged", tx } satisfies AcknowledgeResult
    }
    if (options.fund === undefined) return yield* new SubAccountMissing({ user, provider: r.provider })
    const tx = yield* writer.ledger.transfer(r.provider, "inference", options.fund)
    return { report: r, onChain: "created", tx } satisfies AcknowledgeResult
  })

  return { report, acknowledge }
}
