/** Test helpers: the protocol vectors (a verbatim copy of shared/reference/protocol-vectors.json) and runners. */
import { readFileSync } from "node:fs"
import { Clock, Effect, Result } from "effect"
import { Wallet } from "ethers"

export const vectors = JSON.parse(readFileSync(new URL("./protocol-vectors.json", import.meta.url), "utf8"))

export const account = (i: 0 | 1 | 2): { address: string; privateKey: string } => vectors.accounts[String(i)]
export const wallet = (i: 0 | 1 | 2): Wallet => new Wallet(account(i).privateKey)

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/^0x/, ""), "hex"))
export const toHexString = (b: Uint8Array): string => `0x${Buffer.from(b).toString("hex")}`

/** The vectors' plaintext recipe: byte i = i mod 251. */
export const recipe = (length: number): Uint8Array => {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = i % 251
  return out
}

/** `bytes` cut at each of `cuts` (taken modulo its length + 1): the chunks of a stream, empty ones included. */
export const split = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Array<Uint8Array> = []
  let prev = 0
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(prev, p))
    prev = p
  }
  return chunks
}

export const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect)

/** Runs an effect that must fail and returns its typed error (a success rejects the promise). */
export const fail = <A, E>(effect: Effect.Effect<A, E>): Promise<E> => Effect.runPromise(Effect.flip(effect))

/** The success of a Result that must succeed (throws the failure otherwise). */
export const ok = <A, E>(result: Result.Result<A, E>): A => {
  if (Result.isFailure(result)) throw new Error(`expected success, got ${String(result.failure)}`)
  return result.success
}

/** The typed error of a Result that must fail (throws on success). */
export const err = <A, E>(result: Result.Result<A, E>): E => {
  if (Result.isSuccess(result)) throw new Error("expected a failure, got a success")
  return result.failure
}

/** A Clock frozen at `ms` (only the wall-clock reads are used by this package). */
export const fixedClock = (ms: number): Clock.Clock => ({
  currentTimeMillisUnsafe: () => ms,
  currentTimeMillis: Effect.succeed(ms),
  currentTimeNanosUnsafe: () => BigInt(ms) * 1_000_000n,
  currentTimeNanos: Effect.succeed(BigInt(ms) * 1_000_000n),
  monotonicTimeNanosUnsafe: () => BigInt(ms) * 1_000_000n,
  monotonicTimeNanos: Effect.succeed(BigInt(ms) * 1_000_000n),
  sleep: () => Effect.void,
})

/** Provides a frozen Clock to an effect. */
export const at =
  (ms: number) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.provideService(effect, Clock.Clock, fixedClock(ms))
