/**
 * Waiting for nodes (tx seen, finalized) has a deadline in wall-clock time. A node that lets every check run into the
 * transport's deadline must not stretch it: counting only the sleeps between checks, a 1 s wait against a node that
 * stalls each answer for 1 s took ~100 checks (100 s). The stalling node is a real HTTP server that never answers.
 */
import { type LocalServer, listenLocal } from "@0g-compute/core/testing"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { pollUntil } from "./poll.js"
import { zgs } from "./rpc/node-api.js"
import { StorageRpc } from "./rpc/transport.js"

let server: LocalServer
let asked = 0

beforeAll(async () => {
  server = await listenLocal((req) => {
    asked++
    req.resume() // and never answer
  })
})
afterAll(() => server.close())

describe("pollUntil against a node that stalls every check", () => {
  it("fails with StorageTimeout once the wait's own deadline passed, after a few checks", async () => {
    const check = zgs.getFileInfoByTxSeq(server.url, 7).pipe(Effect.map((info) => info ?? undefined))
    const r = await Effect.runPromise(
      Effect.result(
        pollUntil("node to see tx seq 7", check, 10, 1000).pipe(
          Effect.provide(StorageRpc.layer({ firstByteTimeoutMs: 1000, timeoutMs: 1000 })),
        ),
      ),
    )
    expect(r._tag).toBe("Failure")
    expect(r._tag === "Failure" ? r.failure : undefined).toMatchObject({ _tag: "StorageTimeout" })
    expect(asked).toBeLessThanOrEqual(3)
  }, 30_000)
})
