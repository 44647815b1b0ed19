/**
 * Discovery on a devnet: paged listing with the acknowledged-only filter, one service with prices as bigint and
 * exact decimal strings, the provider's model catalogue, and typed errors for unknown providers and malformed
 * provider JSON (a misbehaving provider registered on chain, served by a local HTTP server).
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { inferenceServing } from "@0g-compute/contracts"
import { minedReceipt } from "@0g-compute/contracts/node"
import { Chain, chainLayerFromRpc } from "@0g-compute/core"
import { DEVNET_PROVIDER_STAKE, type InferenceProvider, startRpcFaultProxy } from "@0g-compute/devnet"
import { repricableService } from "@0g-compute/devnet/testing"
import { Effect, Exit, ManagedRuntime, Redacted } from "effect"
import { Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeDirectory } from "./directory.js"
import { createInferenceReader, type InferenceReader } from "./facade.js"
import { useTestDevnet } from "./testing/fixture.js"

const t = useTestDevnet({ inferenceProviders: 3 })
let reader: InferenceReader
let bad: Server
let badProvider: string

beforeAll(async () => {
  bad = createServer((req, res) => {
    if (req.url === "/v1/models") res.end(JSON.stringify({ data: "not a list" }))
    else if (req.url === "/v1/quote") res.end("<html>not json</html>")
    else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => bad.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`
  const wallet = new Wallet(
    Redacted.value((t.devnet.accounts.users[4] as { privateKey: Redacted.Redacted<string> }).privateKey),
    t.user.provider,
  )
  badProvider = wallet.address
  const tx = await inferenceServing(t.devnet.addresses.inference, wallet).addOrUpdateService(
    {
      serviceType: "chatbot",
      url,
      model: "bad-model",
      verifiability: "TeeML",
      inputPrice: 5n,
      outputPrice: 7n,
      additionalInfo: "{not json",
      teeSignerAddress: wallet.address,
    },
    { value: DEVNET_PROVIDER_STAKE },
  )
  await minedReceipt(tx)
  reader = await createInferenceReader({ rpcUrl: t.devnet.rpcUrl, contracts: t.devnet.addresses })
})
afterAll(async () => {
  await reader?.close()
  await new Promise<void>((resolve) => (bad ? bad.close(() => resolve()) : resolve()))
})

describe("service discovery", () => {
  it("lists acknowledged services only by default, unacknowledged ones on request", async () => {
    const all = await reader.listServices({ includeUnacknowledged: true })
    expect(all.total).toBe(4)
    expect(all.services.map((s) => s.provider)).toContain(badProvider)
    const acked = await reader.listServices()
    expect(acked.total).toBe(4)
    expect(acked.services.map((s) => s.provider).sort()).toEqual(t.providers.map((p) => p.providerAddress).sort())
    expect(acked.services.every((s) => s.teeSignerAcknowledged)).toBe(true)
  })

  it("pages through the registry", async () => {
    const first = await reader.listServices({ limit: 3, includeUnacknowledged: true })
    expect(first.services).toHaveLength(3)
    expect(first.nextOffset).toBe(3)
    const second = await reader.listServices({ offset: 3, limit: 3, includeUnacknowledged: true })
    expect(second.services).toHaveLength(1)
    expect(second.nextOffset).toBeUndefined()
    const everything = await reader.listAllServices({ includeUnacknowledged: true })
    expect(everything.map((s) => s.provider)).toEqual([...first.services, ...second.services].map((s) => s.provider))
  })

  it("gives one service with prices as bigint and exact 0G strings", async () => {
    const p = t.providers[1] as InferenceProvider
    const s = await reader.getService(p.providerAddress.toLowerCase())
    expect(s).toMatchObject({ provider: p.providerAddress, url: p.url, model: p.model, verifiability: "TeeML" })
    expect(s.inputPrice).toEqual({ perToken: 2_000_000_000n, perTokenZG: "0.000000002", perMillionZG: "0.002" })
    expect(s.outputPrice).toEqual({ perToken: 4_000_000_000n, perTokenZG: "0.000000004", perMillionZG: "0.004" })
    expect(s.teeSignerAddress).toBe(p.teeSignerAddress)
    expect(s.notVerifiableReason).toBeUndefined()
    expect(s.expectedSigner).toBe(p.teeSignerAddress)
  })

  it("flags a service whose additionalInfo is not JSON as not verifiable", async () => {
    const s = await reader.getService(badProvider)
    expect(s.additionalInfo).toBeUndefined()
    expect(s.notVerifiableReason).toMatch(/not valid JSON/)
    expect(s.teeSignerAcknowledged).toBe(false)
  })

  it("fails with typed errors for unknown or invalid providers", async () => {
    await expect(reader.getService(Wallet.createRandom().address)).rejects.toMatchObject({ _tag: "ServiceNotFound" })
    await expect(reader.getService("0x1234")).rejects.toMatchObject({ _tag: "InvalidAddress" })
  })
})

describe("model catalogue", () => {
  it("reads the provider's /v1/models", async () => {
    const p = t.providers[0] as InferenceProvider
    const catalog = await reader.listModels(p.providerAddress)
    expect(catalog).toMatchObject({
      provider: p.providerAddress,
      defaultModel: p.model,
      source: "provider",
      multiModel: false,
    })
    expect(catalog.models.map((m) => m.id)).toEqual([p.model])
    expect(catalog.models[0]?.contextLength).toBe(8192)
  })

  it("rejects a malformed catalogue with MalformedProviderResponse", async () => {
    await expect(reader.listModels(badProvider)).rejects.toMatchObject({
      _tag: "MalformedProviderResponse",
      provider: badProvider,
      what: "model catalogue",
    })
  })

  it("reports a malformed quote as a failed quoteFetched check", async () => {
    const report = await reader.attestationReport(badProvider)
    expect(report.checks.quoteFetched.status).toBe("fail")
    expect(report.checks.quoteFetched.detail).toMatch(/not JSON/)
    expect(report.verdict).toBe("unverified")
  })

  it("refuses to send a billed request to an unverifiable service, before anything is sent", async () => {
    const f = t.user.client.fetch(badProvider)
    const s = await reader.getService(badProvider)
    await expect(
      f(`${s.url}/v1/proxy/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model: "bad-model", messages: [] }),
      }),
    ).rejects.toMatchObject({ _tag: "ServiceNotVerifiable", provider: badProvider })
  })
})

describe("a service that changes on chain", () => {
  it("is read again once older than the refresh interval; an RPC that stops answering serves the last reading", async () => {
    const proxy = await startRpcFaultProxy({ upstream: t.devnet.rpcUrl })
    const rt = ManagedRuntime.make(chainLayerFromRpc(proxy.url, { contracts: t.devnet.addresses }))
    try {
      const service = await repricableService(t.devnet, t.user.provider)
      await service.publish(5n, 7n)
      const chain = await rt.runPromise(Effect.service(Chain))
      const price = (e: Effect.Effect<{ inputPrice: { perToken: bigint } }, unknown>) =>
        rt.runPromise(Effect.map(e, (s) => s.inputPrice.perToken))
      const patient = makeDirectory(chain, 3_600_000)
      const prompt = makeDirectory(chain, 0)
      const gone = makeDirectory(chain, 0)
      for (const d of [patient, prompt, gone]) expect(await price(d.cached(service.address))).toBe(5n)

      await service.publish(9n, 7n)
      expect(await price(patient.cached(service.address))).toBe(5n) // within its interval: no read
      expect(patient.peek(service.address)?.inputPrice.perToken).toBe(5n)
      expect(prompt.peek(service.address)).toBeUndefined() // older than its interval: the fast lane declines it
      expect(await price(prompt.cached(service.address))).toBe(9n)

      // The RPC stops answering contract reads: the last reading serves; a directory without one fails, typed.
      await service.publish(11n, 7n)
      proxy.setFault({ fault: { kind: "http-status", status: 503 }, methods: ["eth_call"] })
      expect(await price(prompt.cached(service.address))).toBe(9n)
      const empty = await rt.runPromiseExit(makeDirectory(chain, 0).cached(service.address))
      expect(Exit.isFailure(empty) && JSON.stringify(empty.cause)).toContain("RpcError")
      proxy.setFault(undefined)

      // A service removed from chain is not served from memory.
      await service.remove()
      const removed = await rt.runPromiseExit(gone.cached(service.address))
      expect(Exit.isFailure(removed) && JSON.stringify(removed.cause)).toContain("ServiceNotFound")
    } finally {
      await rt.dispose()
      await proxy.close()
    }
  })
})
