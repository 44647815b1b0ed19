/**
 * The FineTuningServing reads and writes every fine-tuning operation shares (decoded structs, typed reverts), and the
 * connection services the operations run on, captured once by each capability service's layer.
 */

import {
  type ConnectionStack,
  type ContractRevert,
  type CustomErrorName,
  contractInterfaces,
  fineTuningServing,
  isRevert,
  Ledger,
  revertFromError,
  TxEngine,
} from "@0g-compute/contracts"
import {
  Chain,
  Deliverable,
  decodeChainStruct,
  FineTuningAccountDetails,
  FineTuningService,
  type MalformedData,
  RpcError,
  Wallet,
} from "@0g-compute/core"
import { Context, Effect, Option, Stream } from "effect"
import { FineTuningConfig } from "./config.js"
import { FineTuningServiceNotFound } from "./errors.js"

/** What the operations run on (the tunables are a `Context.Reference`, never a requirement). */
export type Deps = ConnectionStack

/**
 * The connection services and tunables in scope, captured so that a service's methods need nothing from their caller;
 * `run` / `runStream` provide them to an operation.
 */
export const captureDeps = Effect.gen(function* () {
  const context = Context.make(Chain, yield* Chain).pipe(
    Context.add(Wallet, yield* Wallet),
    Context.add(TxEngine, yield* TxEngine),
    Context.add(Ledger, yield* Ledger),
    Context.add(FineTuningConfig, yield* FineTuningConfig),
  )
  return {
    run: <A, E>(effect: Effect.Effect<A, E, Deps>): Effect.Effect<A, E> => Effect.provide(effect, context),
    runStream: <A, E>(stream: Stream.Stream<A, E, Deps>): Stream.Stream<A, E> => Stream.provideContext(stream, context),
  }
})

export type ReadError = ContractRevert | RpcError | MalformedData

/** A FineTuningServing read whose revert is decoded. */
export const readCall = <A>(method: string, f: () => Promise<A>): Effect.Effect<A, ContractRevert | RpcError> =>
  Effect.tryPromise({
    try: f,
    catch: (cause) => revertFromError(cause, "FineTuningServing") ?? new RpcError({ method, cause }),
  })

const serving = (chain: Chain["Service"]) => fineTuningServing(chain.contracts.fineTuning, chain.provider)
const reverted = (name: CustomErrorName) => (e: ReadError) => isRevert(e, name)

export type ServiceRecord = typeof FineTuningService.Type
export type DeliverableRecord = typeof Deliverable.Type
export type AccountRecord = typeof FineTuningAccountDetails.Type

export const getServiceRecord = (provider: string) =>
  Effect.gen(function* () {
    const chain = yield* Chain
    return yield* readCall("getService", () => serving(chain).getService(provider)).pipe(
      Effect.flatMap(decodeChainStruct(FineTuningService, "FineTuningServing.getService")),
      Effect.catchIf(reverted("ServiceNotExist"), () => Effect.fail(new FineTuningServiceNotFound({ provider }))),
    )
  })

export const getAllServiceRecords = Effect.gen(function* () {
  const chain = yield* Chain
  const list = yield* readCall("getAllServices", () => serving(chain).getAllServices())
  return yield* Effect.forEach(
    Array.from(list),
    decodeChainStruct(FineTuningService, "FineTuningServing.getAllServices"),
  )
})

/** The user's sub-account with `provider`, or None. */
export const getAccountRecord = (provider: string, user?: string) =>
  Effect.gen(function* () {
    const chain = yield* Chain
    const wallet = yield* Wallet
    return yield* readCall("getAccount", () => serving(chain).getAccount(user ?? wallet.address, provider)).pipe(
      Effect.flatMap(decodeChainStruct(FineTuningAccountDetails, "FineTuningServing.getAccount")),
      Effect.map(Option.some),
      Effect.catchIf(reverted("AccountNotExists"), () => Effect.succeed(Option.none<AccountRecord>())),
    )
  })

/** The deliverable of a task, or None (not delivered, or no sub-account). */
export const getDeliverableRecord = (provider: string, taskId: string) =>
  Effect.gen(function* () {
    const chain = yield* Chain
    const wallet = yield* Wallet
    return yield* readCall("getDeliverable", () =>
      serving(chain).getDeliverable(wallet.address, provider, taskId),
    ).pipe(
      Effect.flatMap(decodeChainStruct(Deliverable, "FineTuningServing.getDeliverable")),
      Effect.map(Option.some),
      Effect.catchIf(
        (e) => reverted("DeliverableNotExists")(e) || reverted("AccountNotExists")(e),
        () => Effect.succeed(Option.none<DeliverableRecord>()),
      ),
    )
  })

/** The penalty percentage and lock time of the contract (for deadlines and penalty amounts). */
export const contractParams = Effect.gen(function* () {
  const s = serving(yield* Chain)
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
    const chain = yield* Chain
    const tx = yield* TxEngine
    const data = contractInterfaces.FineTuningServing.encodeFunctionData(method, args)
    return yield* tx.send({ to: chain.contracts.fineTuning, data, contract: "FineTuningServing" })
  })

/** Timestamp of the latest block: deadlines are judged by the chain's clock. */
export const chainNow = Effect.gen(function* () {
  const chain = yield* Chain
  return yield* Effect.tryPromise({
    try: async () => {
      const block = await chain.provider.getBlock("latest")
      if (block === null) throw new Error("no latest block")
      return BigInt(block.timestamp)
    },
    catch: (cause) => new RpcError({ method: "eth_getBlockByNumber", cause }),
  })
})
