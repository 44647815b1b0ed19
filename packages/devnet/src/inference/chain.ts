/**
 * The provider's view of the chain. No caches on purpose (inference-protocol.md §13): every request reads its
 * sub-account and the service again, so revocations, acknowledgements and top-ups act immediately.
 */
import { type InferenceServingContract, type InferenceServingTypes, revertFromError } from "@0g-compute/contracts"
import { HttpFailure } from "@0g-compute/core/node"

export type Account = InferenceServingTypes.Account
export type Service = InferenceServingTypes.Service

export interface ChainView {
  /** The sub-account, or undefined when it does not exist. */
  readonly account: (user: string) => Promise<Account | undefined>
  /** This provider's service, or undefined when it is not registered. */
  readonly service: () => Promise<Service | undefined>
}

const missing = (e: unknown, error: string): boolean => revertFromError(e, "InferenceServing")?.error === error

export const makeChainView = (contract: InferenceServingContract, provider: string): ChainView => ({
  account: async (user) => {
    try {
      return await contract.getAccount(user, provider)
    } catch (e) {
      if (missing(e, "AccountNotExists")) return undefined
      throw unavailable(e)
    }
  },
  service: async () => {
    try {
      return await contract.getService(provider)
    } catch (e) {
      if (missing(e, "ServiceNotExist")) return undefined
      throw unavailable(e)
    }
  },
})

/** A chain read that failed for another reason than "missing": the provider cannot decide, so 503. */
const unavailable = (cause: unknown) => Object.assign(new HttpFailure(503, "chain unavailable"), { cause })
