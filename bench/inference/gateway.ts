/**
 * Gateway throughput on this machine: the same verified non-stream chats sent (a) straight through
 * `@0g-compute/inference` `client.fetch` and (b) through the local OpenAI-style gateway (`startGateway`, POST to
 * 127.0.0.1), each with C in flight for N requests. Prints req/s and latency quantiles; the gateway's added p50/p99
 * is (b) − (a). The devnet runs in a child process (it shares the machine's cores with the client and the gateway).
 *
 * Run: `tsx inference/gateway.ts` (from bench/). N and C from the environment.
 */
import { cpus } from "node:os"
import { Ledger } from "@0g-compute/contracts"
import { createInferenceClient } from "@0g-compute/inference"
import { startGateway } from "@0g-compute/inference/node"
import { Redacted } from "effect"
import { serve, startChild } from "./devnet-child.js"
import { load } from "./load.js"

const N = Number(process.env.N ?? 1000)
const C = Number(process.env.C ?? 16)

const run = (one: (i: number) => Promise<void>) => load(N, C, one)

const main = async () => {
  const child = await startChild(process.argv[1] ?? "")
  const { info } = child
  const client = await createInferenceClient({
    privateKey: info.userKeys[2] ?? "",
    rpcUrl: `${info.proxyUrl}/gateway`,
    network: "devnet",
  })
  const provider = info.provider.providerAddress
  const gateway = await startGateway({ client, providers: [provider] })
  try {
    await client.run(Ledger.use((l) => l.add(10n ** 20n)))
    await client.acknowledge(provider, { allowDevnet: true, fund: "50" })
    const body = (i: number) =>
      JSON.stringify({ model: info.provider.model, messages: [{ role: "user", content: `gw ${i}` }] })
    const direct = client.fetch(provider)
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
    const a = await run(viaDirect)
    const b = await run(viaGateway)
    const f = (x: number) => x.toFixed(1).padStart(8)
    console.log(`inference gateway throughput (devnet, ${N} verified chats, ${C} in flight, ${cpus().length} cores)`)
    console.log("  path                  req/s     p50 ms    p99 ms")
    console.log(`  client.fetch direct ${f(a.reqPerSec)}   ${f(a.p50)}  ${f(a.p99)}`)
    console.log(`  via gateway         ${f(b.reqPerSec)}   ${f(b.p50)}  ${f(b.p99)}`)
    console.log(
      `  gateway added: p50 ${(b.p50 - a.p50).toFixed(1)} ms  p99 ${(b.p99 - a.p99).toFixed(1)} ms  failed ${gateway.usage().total.failed}`,
    )
  } finally {
    await gateway.stop()
    await client.close()
    await Promise.race([child.stop(), new Promise((r) => setTimeout(r, 5000))])
  }
}

if (process.argv[2] === "serve") await serve()
else {
  await main()
  process.exit(0)
}
