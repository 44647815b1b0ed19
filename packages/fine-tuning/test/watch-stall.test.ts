/**
 * A long watch of a task must outlive a provider that hangs for a moment: a poll that times out is retried like a
 * refused connection, instead of ending the watch with ProviderTimeout. The provider hangs behind a proxy on
 * 127.0.0.1 (real HTTP both ways) that leaves the first two task reads unanswered.
 */

import { METADATA_LIMITS } from "@0g-compute/core"
import type { LocalServer } from "@0g-compute/core/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { FineTuningClient } from "../src/node/index.js"
import { PROVIDER, type User, useHarness } from "../src/testing/harness.js"
import { rewritingProxy, viaProxy } from "../src/testing/rewriting-proxy.js"

describe("a watch across a provider that hangs", () => {
  const h = useHarness()
  let user: User
  let taskId = ""
  let proxy: LocalServer
  let client: FineTuningClient
  let hung = 0

  beforeAll(async () => {
    ;({ user, taskId } = await h.userWithTask("hang.jsonl"))
    const hangs = (method: string, path: string) => method === "GET" && path.endsWith(`/task/${taskId}`) && hung++ < 2
    proxy = await rewritingProxy(new URL(h.ft.url), () => undefined, hangs)
    client = await h.client(user.key, {
      fetch: viaProxy(h.ft.url, proxy),
      providerLimits: { metadata: { ...METADATA_LIMITS, connectMs: 300, firstByteMs: 300 } },
    })
  })
  afterAll(() => proxy?.close())

  it("retries the polls that timed out and follows the task to Delivered", async () => {
    const task = await client.watch(PROVIDER, taskId)
    expect(task).toMatchObject({ id: taskId, progress: "Delivered" })
    expect(hung).toBeGreaterThanOrEqual(2)
  })
})
