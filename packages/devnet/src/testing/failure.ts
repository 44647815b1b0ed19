/** Test support (not built): the typed error a call rejected with, or a failed test when it resolved. */
import type { ZgError } from "@0g-compute/core"

export const failure = async (p: Promise<unknown>): Promise<ZgError & Record<string, unknown>> => {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (outcome === undefined) throw new Error("expected the call to fail")
  return outcome as ZgError & Record<string, unknown>
}
