/**
 * Per-signer nonce bookkeeping. One slot per (provider, address): a one-permit semaphore around "pick nonce →
 * broadcast → advance", and the next nonce we expect. The slot trusts its own counter while it is in sync (no
 * read per send, and no reliance on load-balanced RPCs agreeing on the pending count); any failure drops the counter
 * so the next send re-reads `pending` from the chain.
 */
import { Effect, Semaphore } from "effect"

export interface NonceSlot {
  readonly lock: Semaphore.Semaphore
  /** The next nonce to use, or undefined when it must be re-read from the chain. */
  next: number | undefined
  /** Journal entries being settled by an engine of this process (a concurrent identical intent is not a re-run). */
  readonly inflight: Set<string>
}

// Keyed by provider object so that two chains with the same chain id (two local anvils) never share a counter, and
// so that every facade/runtime over the same provider serialises on the same lock.
const slots = new WeakMap<object, Map<string, NonceSlot>>()

export const nonceSlot = (provider: object, address: string): NonceSlot => {
  let byAddress = slots.get(provider)
  if (!byAddress) {
    byAddress = new Map()
    slots.set(provider, byAddress)
  }
  const key = address.toLowerCase()
  let slot = byAddress.get(key)
  if (!slot) {
    slot = { lock: Semaphore.makeUnsafe(1), next: undefined, inflight: new Set() }
    byAddress.set(key, slot)
  }
  return slot
}

/**
 * Runs `use(nonce)` while holding the slot's lock. On success the counter advances past `nonce`; on failure it is
 * dropped (resync). The section is uninterruptible: a broadcast that went out must be counted.
 */
export const withNonce = <A, E, R, E2, R2>(
  slot: NonceSlot,
  readPending: Effect.Effect<number, E2, R2>,
  explicit: number | undefined,
  use: (nonce: number) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | E2, R | R2> =>
  Effect.gen(function* () {
    const nonce = explicit ?? slot.next ?? (yield* readPending)
    const result = yield* use(nonce).pipe(
      Effect.onError(() =>
        Effect.sync(() => {
          slot.next = undefined
        }),
      ),
    )
    // An explicit nonce (replacing a pending tx) says nothing about the head of the queue unless we track it.
    if (explicit === undefined || (slot.next !== undefined && slot.next <= nonce)) slot.next = nonce + 1
    return result
  }).pipe(Effect.uninterruptible, Semaphore.withPermit(slot.lock))
