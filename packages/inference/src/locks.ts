/** Per-key serialisation: work for one provider waits for the previous, other providers run alongside. */
import { Semaphore } from "effect"

/** A single-permit semaphore per key, made on first use (keys are the caller's, e.g. a lower-cased address). */
export const keyedLocks = (): ((key: string) => Semaphore.Semaphore) => {
  const locks = new Map<string, Semaphore.Semaphore>()
  return (key) => {
    let s = locks.get(key)
    if (s === undefined) {
      s = Semaphore.makeUnsafe(1)
      locks.set(key, s)
    }
    return s
  }
}
