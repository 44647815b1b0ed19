/**
 * A dataset upload to 0G Storage interrupted after it paid the Flow, while the storage node has not yet seen the
 * submit (a lagging log sync: the usual reason a user gives up waiting), then run again by a new client (a new process
 * has a new transaction journal). The rerun must resume the paid submit, not pay a second time. The node is the
 * storage devnet's, behind a real HTTP proxy that tells the test when an upload starts waiting for the submit.
 */
import { request } from "node:http"
import { join } from "node:path"
import { connectionStackLayer } from "@0g-compute/contracts"
import { makeFacadeRuntime } from "@0g-compute/core"
import { failure, type LocalServer, listenLocal } from "@0g-compute/core/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { FineTuningFiles, type FineTuningStorageOptions, fineTuningLayerOn } from "../src/node/index.js"
import { PROVIDER, type User, useHarness } from "../src/testing/harness.js"

describe("a dataset upload interrupted after paying", () => {
  const h = useHarness({}, true)
  let user: User
  let node: LocalServer
  /** Resolved when the next upload polls the node for its submit (the payment is settled by then). */
  let onWait: (() => void) | undefined

  beforeAll(async () => {
    user = await h.user()
    const upstream = new URL(h.storage?.nodes[0]?.url ?? "")
    node = await listenLocal((req, res) => {
      const parts: Buffer[] = []
      req.on("data", (c: Buffer) => parts.push(c))
      req.on("end", () => {
        const body = Buffer.concat(parts)
        if (body.includes("zgs_getFileInfoByTxSeq")) onWait?.()
        const up = request(
          { host: upstream.hostname, port: upstream.port, method: "POST", headers: req.headers },
          (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers)
            r.pipe(res)
          },
        )
        up.on("error", () => res.destroy())
        up.end(body)
      })
    })
  })
  afterAll(() => node?.close())

  const storage = (): FineTuningStorageOptions => ({
    indexerUrl: h.storage?.indexerUrl ?? "",
    flowAddress: h.storage?.flowAddress ?? "",
    nodeUrls: [node.url],
    pollIntervalMs: 20,
    resumeDir: join(h.dir, "resume"),
  })

  /** One upload by a fresh client (its own runtime and journal); `interrupt`: abort it once it waits for the node. */
  const upload = async (path: string, interrupt: boolean) => {
    const stack = connectionStackLayer({ privateKey: user.key, rpcUrl: h.devnet.rpcUrl, contracts: h.devnet.addresses })
    const runtime = makeFacadeRuntime(fineTuningLayerOn(stack, { storage: storage() }))
    const abort = new AbortController()
    onWait = interrupt ? () => abort.abort() : undefined
    try {
      const run = runtime.run(
        FineTuningFiles.use((f) => f.uploadDataset(PROVIDER, path)),
        { signal: abort.signal },
      )
      return interrupt ? await failure(run) : await run
    } finally {
      await runtime.dispose()
    }
  }

  it("pays once: the rerun of a new client resumes the submit, and completes once the node catches up", async () => {
    const path = await h.datasetFile("paid-once.jsonl")
    const sent = () => h.rpc.getTransactionCount(user.wallet.address)
    h.storage?.nodes[0]?.faults.lag(true)
    const before = await sent()
    await upload(path, true)
    expect(await sent()).toBe(before + 1) // the Flow submit

    await upload(path, true)
    expect(await sent()).toBe(before + 1)

    h.storage?.nodes[0]?.faults.lag(false)
    const done = await upload(path, false)
    expect(done).toMatchObject({ via: "storage" })
    expect(await sent()).toBe(before + 1)
  })
})
