/**
 * Which transaction used a nonce of this account: the proof the engine needs before it calls a transaction of ours
 * "never to be mined" (and may sign another). A mined count past the nonce is no proof on its own behind a
 * load-balanced RPC: one backend may count a block whose receipt the backend asked next has not seen yet. The block
 * where the count passed the nonce names the transaction that used it.
 */
import type { RpcError } from "@0g-compute/core"
import { Effect } from "effect"
import { keccak256, type Provider } from "ethers"
import { rpc } from "./outcome.js"

/**
 * How far back the block that used the nonce is looked for (within what a pruning node keeps). A nonce used before
 * that was used by another transaction: a backend that still had no receipt of ours that many blocks later is broken.
 */
export const PROOF_BLOCKS = 64

/** What our transaction does, as the journal records it. */
export interface CallDigest {
  readonly to: string
  readonly value: string
  readonly dataDigest: string
}

export type NonceUser =
  /** One of our hashes was mined at the nonce, or the same call re-signed outside the engine (a wallet's speed-up). */
  | { readonly _tag: "Ours"; readonly hash: string }
  /** Another transaction used it (or it was used more than PROOF_BLOCKS ago): ours can never be mined. */
  | { readonly _tag: "Other" }
  /** The node cannot show it (lagging, pruned or inconsistent): nothing is proven. */
  | { readonly _tag: "Unproven" }

export const nonceUser = (
  provider: Provider,
  from: string,
  nonce: number,
  ours: ReadonlyArray<string>,
  call?: CallDigest,
): Effect.Effect<NonceUser, RpcError> =>
  Effect.gen(function* () {
    const unproven: NonceUser = { _tag: "Unproven" }
    const countAt = (block: number) => rpc("eth_getTransactionCount", () => provider.getTransactionCount(from, block))
    const head = yield* rpc("eth_blockNumber", () => provider.getBlockNumber())
    if ((yield* countAt(head)) <= nonce) return unproven
    let low = Math.max(0, head - PROOF_BLOCKS)
    if ((yield* countAt(low)) > nonce) return low === 0 ? unproven : ({ _tag: "Other" } as NonceUser)
    // count(low) ≤ nonce < count(high): the first block past the nonce holds the transaction that used it.
    let high = head
    while (high - low > 1) {
      const mid = low + Math.floor((high - low) / 2)
      if ((yield* countAt(mid)) > nonce) high = mid
      else low = mid
    }
    const block = yield* rpc("eth_getBlockByNumber", () => provider.getBlock(high, true))
    const tx = block?.prefetchedTransactions.find(
      (t) => t.from.toLowerCase() === from.toLowerCase() && t.nonce === nonce,
    )
    if (tx === undefined) return unproven
    const hash = tx.hash.toLowerCase()
    const mine = ours.find((h) => h.toLowerCase() === hash)
    if (mine !== undefined) return { _tag: "Ours", hash: mine }
    const sameCall =
      call !== undefined &&
      tx.to?.toLowerCase() === call.to.toLowerCase() &&
      tx.value.toString() === call.value &&
      keccak256(tx.data) === call.dataDigest
    // The same call from the same account at the same nonce did what ours would have: the intent is done.
    return sameCall ? { _tag: "Ours", hash: tx.hash } : { _tag: "Other" }
  })
