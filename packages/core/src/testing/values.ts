import type { ZgError } from "../errors.js"

/** The error a promise rejected with; the test fails when it resolves instead. */
export const failure = async (p: Promise<unknown>): Promise<ZgError & Record<string, unknown>> => {
  try {
    await p
  } catch (e) {
    return e as ZgError & Record<string, unknown>
  }
  throw new Error("expected the call to fail, it succeeded")
}

/** `size` pseudo-random bytes (xorshift32 from `seed`): the same bytes for the same seed, so failures replay. */
export const pseudoRandomBytes = (size: number, seed: number): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(size)
  let x = seed | 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/**
 * An object whose property reads go to `current()`: a test file holds it from load time (from a `use…` call) and
 * reads it inside tests, once its `beforeAll` has started what it stands for.
 */
export const lateBound = <T extends object>(current: () => T): T =>
  new Proxy({} as T, { get: (_, key) => Reflect.get(current(), key) })
