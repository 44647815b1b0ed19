/**
 * A provider that answers with a task that is not the one asked for: another user's, or another id. The client reads
 * tasks by id under the user's address, so such an answer is a lie, and acting on it (its progress, its fee) would
 * follow someone else's task. It is refused as a malformed reply. The provider sits behind a rewriting proxy on
 * 127.0.0.1 (real HTTP both ways); the client reaches it because its `fetch` rewrites the provider's base URL.
 */
import { failure, type LocalServer } from "@0g-compute/core/testing"
import { Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { FineTuningClient } from "../src/node/index.js"
import { PROVIDER, type User, useHarness } from "../src/testing/harness.js"
import { viaProxy as proxied, type Rewrite, rewritingProxy } from "../src/testing/rewriting-proxy.js"

let rewrite: Rewrite | undefined

describe("a task that is not the one asked for", () => {
  const h = useHarness()
  const stranger = Wallet.createRandom().address
  let user: User
  let proxy: LocalServer
  let viaProxy: FineTuningClient
  let taskId = ""

  beforeAll(async () => {
    ;({ user, taskId } = await h.userWithTask("foreign.jsonl"))
    proxy = await rewritingProxy(new URL(h.ft.url), () => rewrite)
    viaProxy = await h.client(user.key, { fetch: proxied(h.ft.url, proxy) })
  })
  afterAll(async () => {
    rewrite = undefined
    await proxy?.close()
  })

  const asTask = (body: unknown) => body as Record<string, unknown>
  const isOne = (path: string) => /\/task\/[^/]+$/.test(path)

  it("the honest answer passes the proxy unchanged", async () => {
    rewrite = (_, body) => body
    expect(await viaProxy.getTask(PROVIDER, taskId)).toMatchObject({ id: taskId, userAddress: user.wallet.address })
  })

  it("another user's task: MalformedProviderResponse naming the owner, from getTask and from the watch", async () => {
    rewrite = (path, body) => (isOne(path) ? { ...asTask(body), userAddress: stranger, progress: "Delivered" } : body)
    const e = await failure(viaProxy.getTask(PROVIDER, taskId))
    expect(e).toMatchObject({ _tag: "MalformedProviderResponse", provider: PROVIDER, what: "task" })
    expect(e.message).toContain(stranger)
    expect(await failure(viaProxy.watch(PROVIDER, taskId))).toMatchObject({ _tag: "MalformedProviderResponse" })
  })

  it("a task with another id: MalformedProviderResponse", async () => {
    const other = "00000000-0000-4000-8000-000000000000"
    rewrite = (path, body) => (isOne(path) ? { ...asTask(body), id: other } : body)
    const e = await failure(viaProxy.getTask(PROVIDER, taskId))
    expect(e).toMatchObject({ _tag: "MalformedProviderResponse", what: "task" })
    expect(e.message).toContain(other)
  })

  it("a task list holding another user's task: MalformedProviderResponse", async () => {
    rewrite = (path, body) =>
      /\/task$/.test(path) && Array.isArray(body) ? [...body, { ...asTask(body[0]), userAddress: stranger }] : body
    const e = await failure(viaProxy.listTasks(PROVIDER))
    expect(e).toMatchObject({ _tag: "MalformedProviderResponse", what: "task list" })
    rewrite = undefined
    expect((await viaProxy.listTasks(PROVIDER)).map((t) => t.id)).toEqual([taskId])
  })
})
