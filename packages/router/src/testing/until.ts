/** Test helper: polls `check` until it holds, failing with `what` after `timeoutMs` (generous: CI is a loaded box). */
export const until = async (check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> => {
  const end = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
