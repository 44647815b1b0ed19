/** Bounded polling and retry helpers shared by upload and download. */
import { Clock, Effect, Option } from "effect"
import { type NodeRpcError, StorageTimeout } from "./errors.js"
import { isTransient } from "./rpc/node-api.js"

/**
 * Runs `check` until it yields a value (not undefined), sleeping 50 ms after the first miss and doubling up to
 * `intervalMs`; fails with {@link StorageTimeout} once `timeoutMs` of wall-clock time passed, checks included (a node
 * that stalls each check until the transport gives up does not stretch the wait): a check gets what is left of it (at
 * least `intervalMs`). Errors of `check` count as "not yet".
 */
export const pollUntil = <A, E, R>(
  what: string,
  check: Effect.Effect<A | undefined, E, R>,
  intervalMs: number,
  timeoutMs: number,
): Effect.Effect<A, StorageTimeout, R> =>
  Effect.gen(function* () {
    const start = yield* Clock.currentTimeMillis
    const elapsed = Effect.map(Clock.currentTimeMillis, (now) => now - start)
    for (let delay = 50; ; delay *= 2) {
      const left = timeoutMs - (yield* elapsed)
      const found = yield* check.pipe(
        Effect.timeoutOption(Math.max(left, intervalMs)),
        Effect.map(Option.getOrUndefined),
        Effect.orElseSucceed(() => undefined),
      )
      if (found !== undefined) return found
      const waited = yield* elapsed
      if (waited >= timeoutMs) return yield* new StorageTimeout({ what, waitedMs: waited })
      yield* Effect.sleep(Math.min(delay, intervalMs, timeoutMs - waited))
    }
  })

/** Retries `eff` on transient node errors (transport, HTTP, back-pressure) with exponential backoff. */
export const retryTransient = <A, R>(
  eff: Effect.Effect<A, NodeRpcError, R>,
  attempts: number,
): Effect.Effect<A, NodeRpcError, R> => {
  const loop = (n: number): Effect.Effect<A, NodeRpcError, R> =>
    eff.pipe(
      Effect.catchTag("NodeRpcError", (e) =>
        isTransient(e) && n + 1 < attempts
          ? Effect.sleep(Math.min(4000, 200 * 2 ** n)).pipe(Effect.flatMap(() => loop(n + 1)))
          : Effect.fail(e),
      ),
    )
  return loop(0)
}
