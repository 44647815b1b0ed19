/**
 * The Promise-facade runner: one ManagedRuntime per facade, rejecting with the typed error itself (an `Error`
 * subclass carrying `_tag` and fields), never with a wrapper.
 */
import { Cause, Effect, Exit, type Layer, ManagedRuntime } from "effect"
import { ClientClosed } from "./errors.js"

export interface FacadeRuntime<R> {
  /** Runs `effect`; an aborted `signal` interrupts it. */
  readonly run: <A, E>(effect: Effect.Effect<A, E, R>, options?: { readonly signal?: AbortSignal }) => Promise<A>
  readonly dispose: () => Promise<void>
}

export const makeFacadeRuntime = <R, E>(layer: Layer.Layer<R, E, never>): FacadeRuntime<R> => {
  const runtime = ManagedRuntime.make(layer)
  // A disposed runtime rejects with its own bare string; a call after close() gets our typed error instead.
  let closed = false
  return {
    run: async (effect, options) => {
      if (closed) throw new ClientClosed()
      const exit = await runtime.runPromiseExit(effect, options?.signal === undefined ? {} : { signal: options.signal })
      if (Exit.isSuccess(exit)) return exit.value
      throw Cause.squash(exit.cause)
    },
    dispose: () => {
      closed = true
      return runtime.dispose()
    },
  }
}

/** Runs a standalone effect and rejects with its typed error. */
export const runFacade = async <A, E>(effect: Effect.Effect<A, E, never>): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  throw Cause.squash(exit.cause)
}
