/**
 * A provider whose quote carries a `report_data` that is not base64. Decoding it threw out of the verification (a
 * defect, not a typed error); it is QuoteInvalid, and nothing is sent on chain. The provider lies through a rewriting
 * proxy on 127.0.0.1 (real HTTP both ways).
 */
import { failure, type LocalServer } from "@0g-compute/core/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { FineTuningClient } from "../src/node/index.js"
import { PROVIDER, type User, useHarness } from "../src/testing/harness.js"
import { type Rewrite, rewritingProxy, viaProxy } from "../src/testing/rewriting-proxy.js"

let rewrite: Rewrite | undefined

describe("a quote whose report_data is not base64", () => {
  const h = useHarness()
  let user: User
  let proxy: LocalServer
  let client: FineTuningClient

  beforeAll(async () => {
    user = await h.user()
    proxy = await rewritingProxy(new URL(h.ft.url), () => rewrite)
    client = await h.client(user.key, { fetch: viaProxy(h.ft.url, proxy) })
  })
  afterAll(() => proxy?.close())

  it("is QuoteInvalid from verify and acknowledge, with no transaction", async () => {
    rewrite = (path, body) =>
      path.endsWith("/quote") ? { ...(body as Record<string, unknown>), report_data: "not base64!!" } : body
    const sent = await h.rpc.getTransactionCount(user.wallet.address)
    expect(await failure(client.verifyProvider(PROVIDER))).toMatchObject({ _tag: "QuoteInvalid", provider: PROVIDER })
    const e = await failure(client.acknowledgeProvider(PROVIDER, { allowDevnet: true }))
    expect(e).toMatchObject({ _tag: "QuoteInvalid" })
    expect(e.message).toContain("base64")
    expect(await h.rpc.getTransactionCount(user.wallet.address)).toBe(sent)
    rewrite = undefined
    expect((await client.verifyProvider(PROVIDER)).signerBound).toBe(true)
  })
})
