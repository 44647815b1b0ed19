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
 * Blocks this close to the head are always asked (a failing read is an RPC error: a lagging backend proves nothing).
 * Past them, a node that no longer keeps the state (pruned) leaves the count as the only word: the nonce was used by
 * another transaction, since a backend that still had no receipt of ours that many blocks later is broken.
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
  /** Another transaction used it (or the node no longer keeps the state to say which): ours can never be mined. */
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
    const other: NonceUser = { _tag: "Other" }
    const head = yield* rpc("eth_blockNumber", () => provider.getBlockNumber())
    /** The count at a block; undefined when a block deeper than PROOF_BLOCKS is no longer kept. */
    const countAt = (block: number) =>
      rpc("eth_getTransactionCount", () => provider.getTransactionCount(from, block)).pipe(
        Effect.map((n): number | undefined => n),
        Effect.catchIf(
          () => block < head - PROOF_BLOCKS,
          () => Effect.succeed(undefined),
        ),
      )
    if (((yield* countAt(head)) ?? 0) <= nonce) return unproven
    // Farther back in doubling steps until the count is at or below the nonce, then halving: the first block past it.
    let high = head
    let low = -1
    for (let step = PROOF_BLOCKS; low < 0; step *= 2) {
      const probe = Math.max(0, high - step)
      const count = yield* countAt(probe)
      if (count === undefined) return other
      if (count <= nonce) low = probe
      else if (probe === 0) return unproven
      else high = probe
    }
    while (high - low > 1) {
      const mid = low + Math.floor((high - low) / 2)
      const count = yield* countAt(mid)
      if (count === undefined) return other
      if (count > nonce) high = mid
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
    return sameCall ? { _tag: "Ours", hash: tx.hash } : other
  })
