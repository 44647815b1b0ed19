/**
 * The `FineTuning` service: the chain, wallet, transaction engine and ledger a fine-tuning client acts through, plus
 * its options; and the FineTuningServing reads and writes every operation shares (decoded structs, typed reverts).
 */

import {
  type ContractRevert,
  contractInterfaces,
  fineTuningServing,
  Ledger,
  type LedgerShape,
  revertFromError,
  TxEngine,
  type TxEngineShape,
} from "@0g-compute/contracts"
import {
  Chain,
  type ChainShape,
  Deliverable,
  decodeChainStruct,
  FineTuningAccountDetails,
  FineTuningService,
  type MalformedData,
  RpcError,
  Wallet,
  type WalletShape,
} from "@0g-compute/core"
import { MODEL_CHUNK_SIZE } from "@0g-compute/crypto"
import { Context, Effect, Layer, Option } from "effect"
import { FineTuningServiceNotFound } from "./errors.js"
import { defaultFineTuningHttpLimits, type FineTuningHttpLimits } from "./http.js"

/** 0G Storage endpoints for dataset upload and model download (the provider route is the fallback). */
export interface FineTuningStorageOptions {
  readonly indexerUrl: string
  readonly flowAddress?: string
  readonly nodeUrls?: ReadonlyArray<string>
  readonly pollIntervalMs?: number
}

export interface FineTuningOptions {
  /** fetch implementation (default: the global one). */
  readonly fetch?: typeof globalThis.fetch
  /** First task-poll interval in ms; doubles while nothing changes (default 1000). */
  readonly pollIntervalMs?: number
  /** Upper bound of the poll backoff (default 15 000). */
  readonly maxPollIntervalMs?: number
  /** Plaintext bytes per encrypted model chunk (default 64 MiB, what providers use). */
  readonly chunkSize?: number
  /** A download that receives nothing for this long is aborted (default 60 000 ms; no total timeout). */
  readonly downloadIdleTimeoutMs?: number
  /** The provider's acknowledgement timeout assumed for warnings (default 6 h, capped at lockTime / 2). */
  readonly assumedAckTimeoutSeconds?: number
  /** Use 0G Storage for datasets and models; without it, the provider's own routes are used. */
  readonly storage?: FineTuningStorageOptions
  /** Deadlines and body ceilings of provider calls, per kind (defaults: `defaultFineTuningHttpLimits`). */
  readonly providerLimits?: Partial<FineTuningHttpLimits>
}

export interface ResolvedOptions {
  readonly fetch: typeof globalThis.fetch
  readonly pollIntervalMs: number
  readonly maxPollIntervalMs: number
  readonly chunkSize: number
  readonly downloadIdleTimeoutMs: number
  readonly assumedAckTimeoutSeconds: number
  readonly storage: FineTuningStorageOptions | undefined
  readonly providerLimits: FineTuningHttpLimits
}

export interface FineTuningShape {
  readonly chain: ChainShape
  readonly wallet: WalletShape
  readonly tx: TxEngineShape
  readonly ledger: LedgerShape
  readonly options: ResolvedOptions
}

export class FineTuning extends Context.Service<FineTuning, FineTuningShape>()("zg/fine-tuning/FineTuning") {
  /** Needs `Chain`, `Wallet`, `TxEngine` and `Ledger`. */
  static readonly layer = (options: FineTuningOptions = {}) =>
    Layer.effect(
      FineTuning,
      Effect.gen(function* () {
        return FineTuning.of({
          chain: yield* Chain,
          wallet: yield* Wallet,
          tx: yield* TxEngine,
          ledger: yield* Ledger,
          options: {
            fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
            pollIntervalMs: options.pollIntervalMs ?? 1000,
            maxPollIntervalMs: options.maxPollIntervalMs ?? 15_000,
            chunkSize: options.chunkSize ?? MODEL_CHUNK_SIZE,
            downloadIdleTimeoutMs: options.downloadIdleTimeoutMs ?? 60_000,
            assumedAckTimeoutSeconds: options.assumedAckTimeoutSeconds ?? 6 * 3600,
            storage: options.storage,
            providerLimits: {
              ...defaultFineTuningHttpLimits(options.downloadIdleTimeoutMs),
              ...options.providerLimits,
            },
          },
        })
      }),
    )
}

export type ReadError = ContractRevert | RpcError | MalformedData

/** A FineTuningServing read whose revert is decoded. */
export const readCall = <A>(method: string, f: () => Promise<A>): Effect.Effect<A, ContractRevert | RpcError> =>
  Effect.tryPromise({
    try: f,
    catch: (cause) => revertFromError(cause, "FineTuningServing") ?? new RpcError({ method, cause }),
  })

const serving = (ft: FineTuningShape) => fineTuningServing(ft.chain.contracts.fineTuning, ft.chain.provider)
const isRevert = (name: string) => (e: ReadError) => e._tag === "ContractRevert" && e.error === name

export type ServiceRecord = typeof FineTuningService.Type
export type DeliverableRecord = typeof Deliverable.Type
export type AccountRecord = typeof FineTuningAccountDetails.Type

export const getServiceRecord = (provider: string) =>
  Effect.gen(function* () {
    const ft = yield* FineTuning
    return yield* readCall("getService", () => serving(ft).getService(provider)).pipe(
      Effect.flatMap(decodeChainStruct(FineTuningService, "FineTuningServing.getService")),
      Effect.catchIf(isRevert("ServiceNotExist"), () => Effect.fail(new FineTuningServiceNotFound({ provider }))),
    )
  })

export const getAllServiceRecords = Effect.gen(function* () {
  const ft = yield* FineTuning
  const list = yield* readCall("getAllServices", () => serving(ft).getAllServices())
  return yield* Effect.forEach(
    Array.from(list),
    decodeChainStruct(FineTuningService, "FineTuningServing.getAllServices"),
  )
})

/** The user's sub-account with `provider`, or None. */
export const getAccountRecord = (provider: string, user?: string) =>
  Effect.gen(function* () {
    const ft = yield* FineTuning
    return yield* readCall("getAccount", () => serving(ft).getAccount(user ?? ft.wallet.address, provider)).pipe(
      Effect.flatMap(decodeChainStruct(FineTuningAccountDetails, "FineTuningServing.getAccount")),
      Effect.map(Option.some),
      Effect.catchIf(isRevert("AccountNotExists"), () => Effect.succeed(Option.none<AccountRecord>())),
    )
  })

/** The deliverable of a task, or None (not delivered, or no sub-account). */
export const getDeliverableRecord = (provider: string, taskId: string) =>
  Effect.gen(function* () {
    const ft = yield* FineTuning
    return yield* readCall("getDeliverable", () =>
      serving(ft).getDeliverable(ft.wallet.address, provider, taskId),
    ).pipe(
      Effect.flatMap(decodeChainStruct(Deliverable, "FineTuningServing.getDeliverable")),
      Effect.map(Option.some),
      Effect.catchIf(
        (e) => isRevert("DeliverableNotExists")(e) || isRevert("AccountNotExists")(e),
        () => Effect.succeed(Option.none<DeliverableRecord>()),
      ),
    )
  })

/** The penalty percentage and lock time of the contract (for deadlines and penalty amounts). */
export const contractParams = Effect.gen(function* () {
  const ft = yield* FineTuning
  const s = serving(ft)
  return yield* Effect.all(
    {
      penaltyPercentage: readCall("penaltyPercentage", () => s.penaltyPercentage()),
      lockTime: readCall("lockTime", () => s.lockTime()),
    },
    { concurrency: 2 },
  )
})

/** Sends a FineTuningServing write from the wallet. */
export const sendServing = (method: "acknowledgeDeliverable" | "acknowledgeTEESigner", args: ReadonlyArray<unknown>) =>
  Effect.gen(function* () {
    const ft = yield* FineTuning
    const data = contractInterfaces.FineTuningServing.encodeFunctionData(method, args)
    return yield* ft.tx.send({ to: ft.chain.contracts.fineTuning, data, contract: "FineTuningServing" })
  })

/** Timestamp of the latest block: deadlines are judged by the chain's clock. */
export const chainNow = Effect.gen(function* () {
  const ft = yield* FineTuning
  return yield* Effect.tryPromise({
    try: async () => {
      const block = await ft.chain.provider.getBlock("latest")
      if (block === null) throw new Error("no latest block")
      return BigInt(block.timestamp)
    },
    catch: (cause) => new RpcError({ method: "eth_getBlockByNumber", cause }),
  })
})
