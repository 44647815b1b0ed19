/**
 * InferenceServing reads with typed failures: reverts decoded against the ABIs, structs decoded with the core Schemas.
 */
import { type ContractRevert, inferenceServing, revertFromError } from "@0g-compute/contracts"
import {
  type ChainShape,
  decodeChainStruct,
  InferenceAccount,
  InferenceService,
  type MalformedData,
  RpcError,
} from "@0g-compute/core"
import { Effect, Option } from "effect"
import { ServiceNotFound } from "./errors.js"

export type ReadError = ContractRevert | RpcError | MalformedData

export const readCall = <A>(method: string, f: () => Promise<A>): Effect.Effect<A, ContractRevert | RpcError> =>
  Effect.tryPromise({
    try: f,
    catch: (cause): ContractRevert | RpcError =>
      revertFromError(cause, "InferenceServing") ?? new RpcError({ method, cause }),
  })

const serving = (chain: ChainShape) => inferenceServing(chain.contracts.inference, chain.provider)

/** `getService(provider)`; an unregistered provider is `ServiceNotFound`. */
export const readService = (
  chain: ChainShape,
  provider: string,
): Effect.Effect<InferenceService, ServiceNotFound | ReadError> =>
  readCall("InferenceServing.getService", () => serving(chain).getService(provider)).pipe(
    Effect.catchIf(
      (e) => e._tag === "ContractRevert" && e.error === "ServiceNotExist",
      () => Effect.fail(new ServiceNotFound({ provider })),
    ),
    Effect.flatMap(decodeChainStruct(InferenceService, "InferenceServing.getService")),
  )

/** One page of `getAllServices(offset, limit)` (limit ≤ 50). */
export const readServicePage = (
  chain: ChainShape,
  offset: number,
  limit: number,
): Effect.Effect<{ readonly services: ReadonlyArray<InferenceService>; readonly total: number }, ReadError> =>
  Effect.gen(function* () {
    const result = yield* readCall("InferenceServing.getAllServices", () =>
      serving(chain).getAllServices(offset, limit),
    )
    const services = yield* Effect.forEach(Array.from(result[0]), (s) =>
      decodeChainStruct(InferenceService, "InferenceServing.getAllServices")(s),
    )
    return { services, total: Number(result[1]) }
  })

/** The sub-account of (user, provider), or None when it does not exist. */
export const readAccount = (
  chain: ChainShape,
  user: string,
  provider: string,
): Effect.Effect<Option.Option<InferenceAccount>, ReadError> =>
  readCall("InferenceServing.getAccount", () => serving(chain).getAccount(user, provider)).pipe(
    Effect.flatMap(decodeChainStruct(InferenceAccount, "InferenceServing.getAccount")),
    Effect.map(Option.some),
    Effect.catchIf(
      (e) => e._tag === "ContractRevert" && e.error === "AccountNotExists",
      () => Effect.succeed(Option.none<InferenceAccount>()),
    ),
  )
