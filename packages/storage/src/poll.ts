/** Bounded polling and retry helpers shared by upload and download. */
import { Effect } from "effect"
import { type NodeRpcError, StorageTimeout } from "./errors.js"
import { isTransient } from "./rpc/node-api.js"

/**
 * Runs `check` until it yields a value (not undefined), sleeping 50 ms after the first miss and doubling up to
 * `intervalMs`; fails with {@link StorageTimeout} once the sleeps add up to `timeoutMs`. Errors of `check` count as
 * "not yet".
 */
export const pollUntil = <A, E, R>(
  what: string,
  check: Effect.Effect<A | undefined, E, R>,
  intervalMs: number,
  timeoutMs: number,
): Effect.Effect<A, StorageTimeout, R> => {
  const loop = (waited: number, delay: number): Effect.Effect<A, StorageTimeout, R> =>
    check.pipe(
      Effect.orElseSucceed(() => undefined),
      Effect.flatMap((a) => {
        if (a !== undefined) return Effect.succeed(a)
        if (waited >= timeoutMs) return Effect.fail(new StorageTimeout({ what, waitedMs: waited }))
        const sleep = Math.min(delay, intervalMs, timeoutMs - waited)
        return Effect.sleep(sleep).pipe(Effect.flatMap(() => loop(waited + sleep, delay * 2)))
      }),
    )
  return loop(0, 50)
}

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
