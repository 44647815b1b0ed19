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

/**
 * A whole-number flag below `min` refused when parsed, in the flag's own words (not an SDK option's): before a key,
 * a chain, a store or a provider is touched.
 */
export const intFlagAtLeast = (name: string, min: number, description: string, expected: string) =>
  Flag.Int(name).pipe(
    Flag.withDescription(description),
    Flag.filter(
      (v) => v >= min,
      () => expected,
    ),
  )

/** A credential's lifetime (`inference api-key create`, `router keys create`). */
export const expiresInFlag = intFlagAtLeast(
  "expires-in",
  1,
  "lifetime in seconds (default: never)",
  "a positive number of seconds",
).pipe(Flag.optional)

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
