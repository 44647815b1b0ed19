/**
 * A long watch of a task must outlive a provider that hangs for a moment: a poll that times out is retried like a
 * refused connection, instead of ending the watch with ProviderTimeout. The provider hangs behind a proxy on
 * 127.0.0.1 (real HTTP both ways) that leaves the first two task reads unanswered.
 */

import { METADATA_LIMITS } from "@0g-compute/core"
import { useStarted } from "@0g-compute/core/testing/hooks"
import { describe, expect, it } from "vitest"
import { PROVIDER, useHarness } from "../src/testing/harness.js"
import { rewritingProxy, viaProxy } from "../src/testing/rewriting-proxy.js"

describe("a watch across a provider that hangs", () => {
  const h = useHarness()
  const env = useStarted(async (onStop) => {
    const { user, taskId } = await h.userWithTask("hang.jsonl")
    let hung = 0
    const hangs = (method: string, path: string) => method === "GET" && path.endsWith(`/task/${taskId}`) && hung++ < 2
    const proxy = await rewritingProxy(new URL(h.ft.url), () => undefined, hangs)
    onStop(() => proxy.close())
    const client = await h.client(user.key, {
      fetch: viaProxy(h.ft.url, proxy),
      providerLimits: { metadata: { ...METADATA_LIMITS, connectMs: 300, firstByteMs: 300 } },
    })
    return { taskId, client, hung: () => hung }
  })

  it("retries the polls that timed out and follows the task to Delivered", async () => {
    const task = await env.client.watch(PROVIDER, env.taskId)
    expect(task).toMatchObject({ id: env.taskId, progress: "Delivered" })
    expect(env.hung()).toBeGreaterThanOrEqual(2)
  })
})
