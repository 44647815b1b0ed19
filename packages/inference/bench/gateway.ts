/**
 * Gateway throughput: the same verified non-stream chats sent (a) straight through `inference.fetch` and (b) through
 * the local gateway (an OpenAI-style POST to 127.0.0.1), each with `C` in flight for `N` requests. Prints req/s and
 * latency quantiles; the gateway's added p50/p99 is (b) − (a). The devnet runs in a child process.
 *
 * Run: `npx tsx bench/gateway.ts` (from packages/inference). N and C from the environment.
 */
import { Ledger } from "@0g-compute/contracts"
import { makeRpcProvider } from "@0g-compute/core"
import { Effect, Redacted } from "effect"
import { createInferenceClient } from "../src/index.js"
import { startGateway } from "../src/node/index.js"
import { serve, startChild } from "./devnet-child.js"

const N = Number(process.env.N ?? 1000)
const C = Number(process.env.C ?? 16)

const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0

const load = async (one: (i: number) => Promise<void>) => {
  const latencies: number[] = []
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: C }, async () => {
      for (let i = next++; i < N; i = next++) {
        const t = performance.now()
        await one(i)
        latencies.push(performance.now() - t)
      }
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  return { reqPerSec: N / seconds, p50ms: q(latencies, 0.5), p99ms: q(latencies, 0.99) }
}

const main = async () => {
  const { info, stop } = await startChild(process.argv[1] ?? "")
  const rpc = makeRpcProvider(info.rpcUrl, BigInt(info.chainId))
  const client = await createInferenceClient({
    privateKey: Redacted.make(info.userKey),
    provider: rpc,
    contracts: info.addresses,
  })
  const gateway = await startGateway({ client, providers: [info.provider.providerAddress] })
  try {
    await client.run(Ledger.use((l) => l.add(10n ** 20n)))
    await client.acknowledge(info.provider.providerAddress, { allowDevnet: true, fund: "50" })
    const body = (i: number) =>
      JSON.stringify({ model: info.provider.model, messages: [{ role: "user", content: `gw ${i}` }] })
    const direct = client.fetch(info.provider.providerAddress)
    const viaDirect = async (i: number) => {
      const r = await direct(`${info.provider.url}/v1/proxy/chat/completions`, { method: "POST", body: body(i) })
      await r.arrayBuffer()
    }
    const auth = `Bearer ${Redacted.value(gateway.token)}`
    const viaGateway = async (i: number) => {
      const r = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body: body(i),
      })
      if (r.status !== 200) throw new Error(`gateway answered ${r.status}: ${await r.text()}`)
      await r.arrayBuffer()
    }
    for (let i = 0; i < 50; i++) {
      await viaDirect(i)
      await viaGateway(i)
    }
    const a = await load(viaDirect)
    const b = await load(viaGateway)
    const report = {
      requests: N,
      concurrency: C,
      direct: a,
      gateway: b,
      gatewayAddedP50ms: b.p50ms - a.p50ms,
      gatewayAddedP99ms: b.p99ms - a.p99ms,
      gatewayFailed: gateway.usage().total.failed,
    }
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  } finally {
    await gateway.stop()
    await client.close()
    rpc.destroy()
    stop()
  }
}

void Effect.runPromise(Effect.promise(process.argv[2] === "serve" ? serve : main))
