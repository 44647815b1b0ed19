/**
 * Client overhead per request on a devnet provider: the same non-stream chat done (a) by hand — one POST with a
 * pre-signed session token, read the body, GET the signature, nothing checked — and (b) through `inference.fetch`,
 * which adds request preparation, the cached token, sha256 of both bodies, signer recovery, the typed verdict and the
 * usage record. Overhead = (b) − (a), per request, p50 and p90 over interleaved runs. Also counts JSON-RPC calls
 * made during (b).
 *
 * The devnet (chain + emulated provider) runs in a child process so its CPU work (signing, billing) does not share
 * the event loop with the client being measured.
 *
 * Run: `npx tsx bench/overhead.ts` (from packages/inference).
 */
import { Ledger } from "@0g-compute/contracts"
import { makeRpcProvider } from "@0g-compute/core"
import { Effect, Redacted } from "effect"
import { createInferenceClient, RequestAuth } from "../src/index.js"
import { serve, startChild } from "./devnet-child.js"

const N = Number(process.env.N ?? 400)

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN
}

const main = async () => {
  const { info, stop } = await startChild(process.argv[1] ?? "")
  const devnet = {
    rpcUrl: info.rpcUrl,
    chainId: BigInt(info.chainId),
    addresses: info.addresses,
    stop: async () => stop(),
  }
  const provider = info.provider
  const account = { privateKey: Redacted.make(info.userKey) }
  const rpc = makeRpcProvider(devnet.rpcUrl, devnet.chainId)
  let rpcCalls = 0
  const p = rpc as unknown as { _send: (x: unknown) => Promise<unknown> }
  const send = p._send.bind(rpc)
  p._send = (x: unknown) => {
    rpcCalls += Array.isArray(x) ? x.length : 1
    return send(x)
  }
  const client = await createInferenceClient({
    privateKey: account.privateKey,
    provider: rpc,
    contracts: devnet.addresses,
  })
  try {
    await client.run(Ledger.use((l) => l.add(10n ** 19n)))
    await client.acknowledge(provider.providerAddress, { allowDevnet: true, fund: "5" })
    const auth = await client.run(RequestAuth.use((a) => a.session(provider.providerAddress)))
    const header = Redacted.value(auth.authorization)
    const url = `${provider.url}/v1/proxy/chat/completions`
    const body = (i: number) =>
      JSON.stringify({ model: provider.model, messages: [{ role: "user", content: `bench ${i} a b c` }] })
    const ours = client.fetch(provider.providerAddress)

    const raw = async (i: number) => {
      const res = await fetch(url, {
        method: "POST",
        headers: { authorization: header, "content-type": "application/json" },
        body: body(i),
      })
      const text = await res.text()
      const id = res.headers.get("zg-res-key") ?? (JSON.parse(text) as { id: string }).id
      await (await fetch(`${provider.url}/v1/proxy/signature/${id}`)).text()
    }
    const verified = async (i: number) => {
      const res = await ours(url, { method: "POST", headers: { "content-type": "application/json" }, body: body(i) })
      await res.text()
    }
    for (let i = 0; i < 50; i++) {
      await raw(i)
      await verified(i)
    }
    rpcCalls = 0
    const tRaw: number[] = []
    const tOurs: number[] = []
    for (let i = 0; i < N; i++) {
      let t = performance.now()
      await raw(i)
      tRaw.push(performance.now() - t)
      t = performance.now()
      await verified(i)
      tOurs.push(performance.now() - t)
    }
    const records = client.usageRecords().slice(-N)
    const report = {
      requests: N,
      rawP50ms: quantile(tRaw, 0.5),
      oursP50ms: quantile(tOurs, 0.5),
      overheadP50ms: quantile(tOurs, 0.5) - quantile(tRaw, 0.5),
      overheadP90ms: quantile(tOurs, 0.9) - quantile(tRaw, 0.9),
      rpcCallsDuringRun: rpcCalls,
      rpcCallsPerRequest: rpcCalls / N,
      allVerified: records.every((r) => r.verdict === "Verified"),
    }
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  } finally {
    await client.close()
    rpc.destroy()
    await devnet.stop()
  }
}

void Effect.runPromise(Effect.promise(process.argv[2] === "serve" ? serve : main))
