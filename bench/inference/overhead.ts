/**
 * Client overhead per request, side by side in one run, on the same devnet provider:
 *
 *  - raw:      one POST with a pre-made session header, read the body, GET the response signature — nothing signed,
 *              nothing checked. This is the provider's own latency (plus loopback HTTP).
 *  - ours:     `@0g-compute/inference` `client.fetch(provider)` — request preparation, cached session token, sha256 of
 *              both bodies, signature fetch + signer recovery, typed verdict, usage record.
 *  - official: `@0gfoundation/0g-compute-ts-sdk` 0.9.0 as its README drives it —
 *              `broker.inference.getRequestHeaders(provider, content)`, POST with those headers, read the body,
 *              `broker.inference.processResponse(provider, chatId, usage)` (which GETs the signature and recovers it).
 *
 * Excluding the provider's own latency: `globalThis.fetch` (which both clients and raw use) is wrapped; for the two
 * exchanges every verified chat needs — the chat POST and the signature GET — the wrapper times the call up to the
 * fully read body (then hands back an identical buffered Response). Per request, overhead = end-to-end time − that
 * provider time, so each request is paired with its own provider latency and loopback noise cancels. Any other
 * HTTP a client makes (the official SDK's per-request `GET /v1/user/…/unsettledfee`) and every JSON-RPC round trip
 * stays in the overhead: it is latency the client adds. The raw row shows what the method leaves for a client
 * that does nothing (header copy, JSON.parse of the id). Interleaved runs (raw, ours, official for each i).
 * JSON-RPC requests are counted by a proxy on 127.0.0.1 in front of anvil (one path per client), over the measured
 * steady-state requests only (after warm-up).
 *
 * The devnet and the proxy run in a child process. Run: `tsx inference/overhead.ts` (from bench/). N from env.
 */
import { Ledger } from "@0g-compute/contracts"
import { createInferenceClient } from "@0g-compute/inference"
import { createZGComputeNetworkBroker } from "@0gfoundation/0g-compute-ts-sdk"
import { JsonRpcProvider, parseEther, Wallet } from "ethers"
import { type DevnetInfo, serve, startChild } from "./devnet-child.js"

const N = Number(process.env.N ?? 300)
const WARMUP = Number(process.env.WARMUP ?? 30)
/** OURS_ONLY=1: skip the official client in the timed loop (to see how much its GC/CPU costs ours in the same process). */
const OURS_ONLY = process.env.OURS_ONLY === "1"

/** Time spent in the provider's chat + signature exchanges since the last reset (ms). */
let providerMs = 0
const realFetch = globalThis.fetch
globalThis.fetch = async (input, init) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url
  if (!url.includes("/v1/proxy/chat/completions") && !url.includes("/v1/proxy/signature/"))
    return realFetch(input, init)
  const t0 = performance.now()
  const res = await realFetch(input, init)
  const buf = await res.arrayBuffer()
  const out = new Response(buf, { status: res.status, statusText: res.statusText, headers: res.headers })
  providerMs += performance.now() - t0
  return out
}

const timed = async (xs: { total: number[]; over: number[] }, f: () => Promise<void>) => {
  providerMs = 0
  const t0 = performance.now()
  await f()
  const total = performance.now() - t0
  xs.total.push(total)
  xs.over.push(total - providerMs)
}

const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? Number.NaN

const body = (model: string, i: number) =>
  JSON.stringify({ model, messages: [{ role: "user", content: `bench ${i} a b c` }] })

/** The SDK's typings name ethers' CJS `Wallet`; this file imports the ESM one (same class at runtime). */
type SdkSigner = Parameters<typeof createZGComputeNetworkBroker>[0]
const makeBroker = async (wallet: Wallet) => {
  const log = console.log
  console.log = () => {} // the SDK prints "Detected hardhat (chain ID: 31337)" on creation
  try {
    return await createZGComputeNetworkBroker(wallet as unknown as SdkSigner)
  } finally {
    console.log = log
  }
}

const setupOurs = async (info: DevnetInfo) => {
  const client = await createInferenceClient({
    privateKey: info.userKeys[0] ?? "",
    rpcUrl: `${info.proxyUrl}/ours`,
    network: "devnet",
  })
  await client.run(Ledger.use((l) => l.add(10n ** 20n)))
  await client.acknowledge(info.provider.providerAddress, { allowDevnet: true, fund: "20" })
  const f = client.fetch(info.provider.providerAddress)
  const url = `${info.provider.url}/v1/proxy/chat/completions`
  const one = async (i: number) => {
    const res = await f(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body(info.provider.model, i),
    })
    await res.text()
  }
  const verified = () => client.usageRecords().filter((r) => r.verdict === "Verified").length
  return { one, verified, close: () => client.close() }
}

const setupOfficial = async (info: DevnetInfo) => {
  const rpc = new JsonRpcProvider(`${info.proxyUrl}/official`)
  const wallet = new Wallet(info.userKeys[1] ?? "", rpc)
  const broker = await makeBroker(wallet)
  const log = console.log
  console.log = () => {}
  const provider = info.provider.providerAddress
  await broker.ledger.addLedger(100) // these print "sending tx …" / "tx hash …"
  await broker.inference.acknowledgeProviderSigner(provider)
  await broker.ledger.transferFund(provider, "inference", parseEther("20"))
  console.log = log
  const { endpoint, model } = await broker.inference.getServiceMetadata(provider)
  let verified = 0
  let unverified = 0
  const one = async (i: number) => {
    const content = `bench ${i} a b c`
    const headers = await broker.inference.getRequestHeaders(provider, content)
    const res = await fetch(`${endpoint}/chat/completions`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content }] }),
    })
    const json = (await res.json()) as { id?: string; usage?: unknown }
    const chatId = res.headers.get("ZG-Res-Key") ?? json.id ?? ""
    const ok = await broker.inference.processResponse(provider, chatId, JSON.stringify(json.usage ?? {}))
    if (ok === true) verified++
    else unverified++
  }
  return { one, verified: () => verified, unverified: () => unverified, close: () => rpc.destroy() }
}

/** Raw: a valid session header made once (by the official SDK, outside the timed loop), sent as is. */
const setupRaw = async (info: DevnetInfo) => {
  const rpc = new JsonRpcProvider(info.anvilUrl)
  const broker = await makeBroker(new Wallet(info.userKeys[1] ?? "", rpc))
  const { Authorization: header } = await broker.inference.getRequestHeaders(info.provider.providerAddress, "")
  rpc.destroy()
  const url = `${info.provider.url}/v1/proxy/chat/completions`
  return async (i: number) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { authorization: header, "content-type": "application/json" },
      body: body(info.provider.model, i),
    })
    const text = await res.text()
    const id = res.headers.get("zg-res-key") ?? (JSON.parse(text) as { id: string }).id
    await (await fetch(`${info.provider.url}/v1/proxy/signature/${id}?model=${info.provider.model}`)).text()
  }
}

const main = async () => {
  const child = await startChild(process.argv[1] ?? "")
  const { info } = child
  const ours = await setupOurs(info)
  const official = await setupOfficial(info)
  try {
    const raw = await setupRaw(info)

    for (let i = 0; i < WARMUP; i++) {
      await raw(i)
      await ours.one(i)
      await official.one(i)
    }
    const before = await child.counts()
    const verifiedBefore = { ours: ours.verified(), official: official.verified() }
    const mk = () => ({ total: [] as number[], over: [] as number[] })
    const t = { raw: mk(), ours: mk(), official: mk() }
    for (let i = 0; i < N; i++) {
      await timed(t.raw, () => raw(i))
      await timed(t.ours, () => ours.one(i))
      if (!OURS_ONLY) await timed(t.official, () => official.one(i))
    }
    const after = await child.counts()
    const rpc = (k: string) => ((after[k] ?? 0) - (before[k] ?? 0)) / N
    const row = (xs: { total: number[]; over: number[] }) => ({
      p50: q(xs.total, 0.5),
      p99: q(xs.total, 0.99),
      over50: q(xs.over, 0.5),
      over99: q(xs.over, 0.99),
    })
    const r = { raw: row(t.raw), ours: row(t.ours), official: row(t.official) }
    const f = (x: number) => x.toFixed(2).padStart(8)
    const ratio = (a: number, b: number) => (a > 0 ? `${(b / a).toFixed(1)}×` : "∞")
    console.log(
      `inference client overhead per request (devnet, ${N} interleaved non-stream chats, after ${WARMUP} warm-up)`,
    )
    console.log("  client                      total p50  total p99  overhead p50  overhead p99  RPC/request  verified")
    console.log(
      `  raw fetch (no client)       ${f(r.raw.p50)}   ${f(r.raw.p99)}      ${f(r.raw.over50)}      ${f(r.raw.over99)}            —         —`,
    )
    console.log(
      `  @0g-compute/inference       ${f(r.ours.p50)}   ${f(r.ours.p99)}      ${f(r.ours.over50)}      ${f(r.ours.over99)}   ${rpc("ours").toFixed(2).padStart(10)}   ${ours.verified() - verifiedBefore.ours}/${N}`,
    )
    if (OURS_ONLY) console.log("  0g-compute-ts-sdk 0.9.0     skipped (OURS_ONLY=1)")
    else
      console.log(
        `  0g-compute-ts-sdk 0.9.0     ${f(r.official.p50)}   ${f(r.official.p99)}      ${f(r.official.over50)}      ${f(r.official.over99)}   ${rpc("official").toFixed(2).padStart(10)}   ${official.verified() - verifiedBefore.official}/${N}`,
      )
    console.log(
      `  ratio official/ours (overhead)  p50 ${ratio(r.ours.over50, r.official.over50)}  p99 ${ratio(r.ours.over99, r.official.over99)}   (ms; target ours ≥ 10× lower, p50 ≤ 1 ms, 0 RPC/request)`,
    )
    console.log(
      `  targets: ≥10× ${r.official.over50 >= 10 * r.ours.over50 ? "OK" : "MISSED"}  p50≤1ms ${r.ours.over50 <= 1 ? "OK" : "MISSED"}  0 RPC ${rpc("ours") === 0 ? "OK" : "MISSED"}`,
    )
    if (process.env.BENCH_JSON)
      console.log(JSON.stringify({ N, r, rpc: { ours: rpc("ours"), official: rpc("official") } }))
  } finally {
    await ours.close()
    official.close()
    await Promise.race([child.stop(), new Promise((r) => setTimeout(r, 5000))])
  }
}

if (process.argv[2] === "serve") await serve()
else {
  await main()
  process.exit(0) // the official SDK leaves handles open (its cache timers); do not wait for them
}
