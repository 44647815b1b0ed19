/** Bounded polling and retry helpers shared by upload and download. */
import { Effect } from "effect"
import { StorageTimeout, type NodeRpcError } from "./errors.js"
import { isTransient } from "./rpc/node-api.js"

/**
 * Runs `check` every `intervalMs` until it yields a value (not undefined), failing with {@link StorageTimeout} after
 * `timeoutMs`. Errors of `check` count as "not yet".
 */
export const pollUntil = <A, E, R>(
  what: string,
  check: Effect.Effect<A | undefined, E, R>,
  intervalMs: number,
  timeoutMs: number,
): Effect.Effect<A, StorageTimeout, R> => {
  const maxPolls = Math.max(1, Math.ceil(timeoutMs / intervalMs))
  const loop = (n: number): Effect.Effect<A, StorageTimeout, R> =>
    check.pipe(
      Effect.orElseSucceed(() => undefined),
      Effect.flatMap((a) => {
        if (a !== undefined) return Effect.succeed(a)
        if (n + 1 >= maxPolls) return Effect.fail(new StorageTimeout({ what, waitedMs: timeoutMs }))
        return Effect.sleep(intervalMs).pipe(Effect.flatMap(() => loop(n + 1)))
      }),
    )
  return loop(0)
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
