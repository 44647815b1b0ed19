/**
 * Provider limits on fine-tuning calls (issue 11): a provider that stalls or floods is cut off with a typed error
 * naming the limit, and a model download that breaks a limit acknowledges nothing. The emulated provider sits behind
 * a small hostile proxy on 127.0.0.1 (real HTTP both ways); the client reaches the proxy because its `fetch`
 * rewrites the provider's base URL to the proxy's — every byte still comes over a socket.
 */
import { watch } from "node:fs"
import { createServer, request, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { connectionStackLayer, LedgerClient } from "@0g-compute/contracts"
import { makeFacadeRuntime } from "@0g-compute/core"
import { Redacted } from "effect"
import { parseEther, Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createFineTuningClient, type FineTuningClient, FineTuningFiles, fineTuningLayerOn } from "../src/node/index.js"
import { CHUNK_SIZE, failure, type Harness, PARAMS, startHarness } from "../src/testing/harness.js"

type Mode = "pass" | "stallTasks" | "stallLora" | "hugeLora" | "overLongLora" | "trickleLora"

let h: Harness
let proxy: Server
let proxyUrl: string
let mode: Mode = "pass"
/** Connections the proxy saw closed by the client while it was misbehaving, and who waits for the next. */
let clientClosed = 0
let onClientClose: (() => void) | undefined
const clientClose = (since: number) =>
  clientClosed > since ? Promise.resolve() : new Promise<void>((resolve) => (onClientClose = resolve))
let client: FineTuningClient
let wallet: Wallet

const LIMITS = { connectMs: 1500, firstByteMs: 1500, idleMs: 1500, totalMs: 30_000, maxBytes: 64 * 1024 }
const MODEL_CAP = 256 * 1024

const hostileProxy = (target: URL) =>
  createServer((req, res) => {
    const path = req.url ?? "/"
    const misbehave =
      (mode === "stallTasks" && /\/task$/.test(path) && req.method === "GET") ||
      (mode !== "pass" && mode !== "stallTasks" && /\/lora$/.test(path))
    if (misbehave) {
      res.on("close", () => {
        if (res.writableFinished) return
        clientClosed++
        onClientClose?.()
      })
      req.resume()
      if (mode === "stallTasks") return
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        ...(mode === "overLongLora" ? { "content-length": String(MODEL_CAP * 4) } : {}),
      })
      if (mode === "stallLora") return void res.flushHeaders()
      if (mode === "trickleLora") return void res.write(new Uint8Array(1024))
      const chunk = new Uint8Array(16 * 1024)
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {
          // until backpressure
        }
        if (!res.destroyed) res.once("drain", pump)
      }
      return pump()
    }
    const upstream = request(
      { host: target.hostname, port: target.port, path, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      },
    )
    upstream.on("error", () => res.destroy())
    req.pipe(upstream)
  })

beforeAll(async () => {
  h = await startHarness()
  proxy = hostileProxy(new URL(h.ft.url))
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve))
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  wallet = new Wallet(Wallet.createRandom().privateKey)
  await h.rpc.send("anvil_setBalance", [wallet.address, `0x${parseEther("100").toString(16)}`])
  const key = Redacted.make(wallet.privateKey)
  const ledger = await LedgerClient.connect({ privateKey: key, rpcUrl: h.devnet.rpcUrl, contracts: h.devnet.addresses })
  await ledger.add("20")
  await ledger.close()
  client = await createFineTuningClient({
    privateKey: key,
    rpcUrl: h.devnet.rpcUrl,
    contracts: h.devnet.addresses,
    pollIntervalMs: 10,
    maxPollIntervalMs: 100,
    chunkSize: CHUNK_SIZE,
    fetch: (input, init) => globalThis.fetch(String(input).replace(h.ft.url, proxyUrl), init),
    providerLimits: {
      metadata: LIMITS,
      modelDownload: { ...LIMITS, totalMs: 60_000, maxBytes: MODEL_CAP },
    },
  })
})
afterAll(async () => {
  await client?.close()
  await new Promise((resolve) => proxy?.close(resolve))
  await h?.stop()
})

const withMode = async <T>(m: Mode, f: () => Promise<T>) => {
  mode = m
  try {
    return await f()
  } finally {
    mode = "pass"
  }
}

describe("fine-tuning provider limits", () => {
  let taskId: string
  const provider = () => h.ft.address

  it("a task list that never answers: ProviderTimeout(connect), the connection closed", async () => {
    const before = clientClosed
    const e = await withMode("stallTasks", () => failure(client.listTasks(provider())))
    expect(e).toMatchObject({ _tag: "ProviderTimeout", phase: "connect", ms: LIMITS.connectMs })
    await clientClose(before) // the proxy sees the connection closed (the test times out otherwise)
  })

  it("runs a task to delivery through the proxy", async () => {
    await client.acknowledgeProvider(provider(), { allowDevnet: true })
    const { datasetHash, tokens } = await client.uploadDataset(provider(), await h.datasetFile("limits.jsonl"))
    ;({ taskId } = await client.createTask({
      provider: provider(),
      model: "mock-model",
      datasetHash,
      trainingParams: PARAMS,
      tokens,
    }))
    await client.watch(provider(), taskId)
    expect((await client.getDeliverable(provider(), taskId)).acknowledged).toBe(false)
  })

  it("a model download that stalls after its headers: ProviderTimeout, nothing acknowledged", async () => {
    const e = await withMode("stallLora", () =>
      failure(client.acknowledgeModel(provider(), taskId, { output: join(h.dir, "stall.enc") })),
    )
    expect(e).toMatchObject({ _tag: "ProviderTimeout", phase: "firstByte", ms: LIMITS.firstByteMs })
    expect((await client.getDeliverable(provider(), taskId)).acknowledged).toBe(false)
  })

  it("an endless model body without content-length is cut at the ceiling; nothing acknowledged or left", async () => {
    const e = await withMode("hugeLora", () =>
      failure(client.acknowledgeModel(provider(), taskId, { output: join(h.dir, "huge.enc") })),
    )
    expect(e).toMatchObject({ _tag: "ProviderBodyTooLarge", limit: MODEL_CAP, what: "body" })
    expect((await client.getDeliverable(provider(), taskId)).acknowledged).toBe(false)
    expect((await h.files()).filter((f) => f.startsWith("huge.enc"))).toEqual([])
  })

  it("a declared size over the ceiling is refused before reading", async () => {
    const e = await withMode("overLongLora", () =>
      failure(client.acknowledgeModel(provider(), taskId, { output: join(h.dir, "long.enc") })),
    )
    expect(e).toMatchObject({ _tag: "ProviderBodyTooLarge", limit: MODEL_CAP, what: "content-length" })
  })

  it("a model download interrupted mid-body closes the connection and leaves no file", async () => {
    // Deadlines far beyond the test's timeout: only the interruption can close this connection in time.
    const patient = { ...LIMITS, firstByteMs: 600_000, idleMs: 600_000, totalMs: 1_200_000, maxBytes: MODEL_CAP }
    const stack = connectionStackLayer({
      privateKey: Redacted.make(wallet.privateKey),
      rpcUrl: h.devnet.rpcUrl,
      contracts: h.devnet.addresses,
    })
    const runtime = makeFacadeRuntime(
      fineTuningLayerOn(stack, {
        fetch: (input, init) => globalThis.fetch(String(input).replace(h.ft.url, proxyUrl), init),
        providerLimits: { modelDownload: patient },
      }),
    )
    const abort = new AbortController()
    // The temp file is opened once the headers are in, so its appearance means the body is being read.
    const watcher = watch(h.dir, (_, name) => {
      if (name?.startsWith("cut.enc.") && name.endsWith(".partial")) abort.abort()
    })
    try {
      const before = clientClosed
      const e = await withMode("trickleLora", () =>
        failure(
          runtime.run(
            FineTuningFiles.use((f) => f.downloadModel(provider(), taskId, join(h.dir, "cut.enc"))),
            {
              signal: abort.signal,
            },
          ),
        ),
      )
      expect(abort.signal.aborted).toBe(true)
      expect(e).toBeInstanceOf(Error)
      await clientClose(before) // the proxy sees the connection closed (the test times out otherwise)
      expect((await h.files()).filter((f) => f.startsWith("cut.enc"))).toEqual([])
    } finally {
      watcher.close()
      await runtime.dispose()
    }
  })

  it("the honest download still verifies and acknowledges", async () => {
    const r = await client.acknowledgeModel(provider(), taskId, { output: join(h.dir, "ok.enc") })
    expect(r.matchedBy).toBe("keccak")
    expect((await client.getDeliverable(provider(), taskId)).acknowledged).toBe(true)
  })
})
