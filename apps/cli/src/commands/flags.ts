/** Flags that several command groups take with the same meaning, defined once so their help and parsing agree. */
import { parseZG } from "@0g-compute/core/light"
import { Effect, Option } from "effect"
import { Flag } from "effect/cli"

export const providerFlag = Flag.String("provider").pipe(Flag.withDescription("provider address"))

/** The providers a local server (`inference serve`, `router serve`) sends requests to, first choice first. */
export const providerPriorityFlag = Flag.String("provider").pipe(
  Flag.withDescription("provider address, in priority order (repeatable)"),
  Flag.atLeast(1),
)

/** A credential's lifetime (`inference api-key create`, `router keys create`). */
export const expiresInFlag = Flag.Int("expires-in").pipe(
  Flag.withDescription("lifetime in seconds (default: never)"),
  // Refused here, before a key, a chain or a store is touched, in the flag's own words (not the SDK option's).
  Flag.filter(
    (s) => s > 0,
    () => "a positive number of seconds",
  ),
  Flag.optional,
)

/** The port a local server listens on (0: any free port), refused before anything starts when out of range. */
export const servePortFlag = (fallback: number) =>
  Flag.Int("port").pipe(
    Flag.withDescription("port to listen on (0: any free port)"),
    Flag.filter(
      (p) => p >= 0 && p <= 65535,
      () => "a port from 0 to 65535 (0: any free port)",
    ),
    Flag.withDefault(fallback),
  )

/** An optional 0G amount flag in neuron: undefined when absent, InvalidAmount when malformed. */
export const optionalZG = (value: Option.Option<string>) =>
  Option.isSome(value) ? parseZG(value.value) : Effect.succeed(undefined)
