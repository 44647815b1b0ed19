/**
 * Test helper for the router's scale tests: a devnet with two emulated providers in front of a fixed-usage model (every
 * answer reports 10 prompt + 20 completion tokens), the provider-side record of every billed exchange (chat id → fee),
 * virtual keys with budgets through the admin API, and a bounded-concurrency load over router URLs.
 */
import { Ledger } from "@0g-compute/contracts"
import { makeRpcProvider } from "@0g-compute/core"
import type { Devnet, InferenceProvider } from "@0g-compute/devnet"
import { startTestDevnet } from "@0g-compute/devnet/testing"
import { createInferenceClient, type FundingPolicy, type InferenceClient } from "@0g-compute/inference"
import { Redacted, Schema } from "effect"
import type { JsonRpcProvider } from "ethers"
import { FundingReport } from "../funding.js"
import { startEchoUpstream } from "./upstream.js"

export const GWEI = 1_000_000_000n
export const ZG = 10n ** 18n
export const MODEL = "devnet-echo-1"
export const ADMIN = "admin-token-for-scale-tests"
/** Sub-accounts start 30 000 gwei above the provider's 1 0G admission minimum (Σ unsettled + 1 0G). */
export const INITIAL_FUND = ZG + 30_000n * GWEI
/**
 * Keep 20 000 gwei beyond the provider's minimum (a few hundred answers: a slow funding tick on a loaded machine never
 * lets the provider refuse), and top up whenever the margin falls 5 000 gwei under the target (every ~70 answers).
 */
export const POLICY = {
  reserve: ZG + 20_000n * GWEI,
  headroom: 10_000n * GWEI,
  unsettledMargin: ZG,
} as const satisfies FundingPolicy

export interface ScaleDevnet {
  readonly devnet: Devnet
  readonly providers: readonly [InferenceProvider, InferenceProvider]
  readonly user: { readonly address: string; readonly privateKey: string }
  readonly client: InferenceClient
  readonly rpc: JsonRpcProvider
  /** Chat id → fee of every exchange a provider billed. */
  readonly billed: Map<string, bigint>
  /** The user's ledger total on chain: it falls by exactly what settlements moved to providers. */
  readonly ledgerTotal: () => Promise<bigint>
  /** Σ over the providers of what each reports as unsettled for the user. */
  readonly unsettled: () => bigint
  readonly settleAll: () => Promise<void>
  readonly stop: () => Promise<void>
}

/** Neuron → decimal 0G. */
export const decimal = (n: bigint) => {
  const frac = (n % ZG).toString().padStart(18, "0").replace(/0+$/, "")
  return frac === "" ? (n / ZG).toString() : `${n / ZG}.${frac}`
}

export const startScaleDevnet = async (): Promise<ScaleDevnet> => {
  const upstream = await startEchoUpstream()
  const billed = new Map<string, bigint>()
  // Settled by the test at chosen moments, never between two reads of an assertion.
  const devnet = await startTestDevnet({
    inferenceProviders: 2,
    inference: {
      upstream: upstream.url,
      onEvent: (e) => {
        if (e._tag === "Billed") billed.set(e.chatId, e.fee)
      },
    },
  })
  const providers = devnet.inference as unknown as readonly [InferenceProvider, InferenceProvider]
  const user = devnet.accounts.users[0]
  if (user === undefined) throw new Error("no devnet user")
  const rpc: JsonRpcProvider = makeRpcProvider(devnet.rpcUrl, devnet.chainId)
  const client = await createInferenceClient({
    privateKey: user.privateKey,
    provider: rpc,
    contracts: devnet.addresses,
    config: { signatureAttempts: 2, signatureRetryDelayMs: 10 },
  })
  await client.run(Ledger.use((l) => l.add(10n * ZG)))
  for (const p of providers)
    await client.acknowledge(p.providerAddress, { allowDevnet: true, fund: decimal(INITIAL_FUND) })
  return {
    devnet,
    providers,
    user: { address: user.address, privateKey: Redacted.value(user.privateKey) },
    client,
    rpc,
    billed,
    ledgerTotal: async () => (await client.run(Ledger.use((l) => l.get()))).total,
    unsettled: () => providers.reduce((s, p) => s + p.unsettledFee(user.address), 0n),
    settleAll: async () => {
      for (const p of providers) await p.settleNow()
    },
    stop: async () => {
      await client.close()
      rpc.destroy()
      await devnet.stop()
      await upstream.close()
    },
  }
}

export interface TestKey {
  readonly id: string
  readonly secret: string
  /** Neuron; the binding keys' budget runs out during the load. */
  readonly budget: bigint
}

const Created = Schema.Struct({ key: Schema.Struct({ id: Schema.String }), secret: Schema.String })
const KeyList = Schema.Struct({
  data: Schema.Array(
    Schema.Struct({
      id: Schema.String,
      budget: Schema.Struct({ total: Schema.NullOr(Schema.String) }),
      spent: Schema.Struct({ total: Schema.String }),
      reserved: Schema.String,
    }),
  ),
})

/** Decimal 0G → neuron (the admin API's money format). */
export const neuron = (zg: string) => {
  const [whole = "0", frac = ""] = zg.split(".")
  return BigInt(whole) * ZG + BigInt(frac.padEnd(18, "0").slice(0, 18))
}

export const admin = async <A>(url: string, path: string, schema: Schema.Decoder<A>, init: RequestInit = {}) => {
  const res = await fetch(`${url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
  })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return Schema.decodeUnknownSync(schema)(await res.json())
}

export const funding = (url: string) => admin(url, "/admin/funding?limit=500", FundingReport)

/** `binding` keys get `bindingBudget` in total, the others 1 0G (which no load here can spend). */
export const createKeys = async (url: string, count: number, binding: number, bindingBudget: bigint) => {
  const keys: TestKey[] = []
  for (let i = 0; i < count; i++) {
    const budget = i < binding ? bindingBudget : ZG
    const body = JSON.stringify({ label: `scale-${i}`, budget: { total: decimal(budget) }, models: [MODEL] })
    const c = await admin(url, "/admin/keys", Created, { method: "POST", body })
    keys.push({ id: c.key.id, secret: c.secret, budget })
  }
  return keys
}

/** Every key's budget, spent and reserved, in neuron. */
export const keyStates = async (url: string) =>
  (await admin(url, "/admin/keys", KeyList)).data.map((k) => ({
    id: k.id,
    budget: k.budget.total === null ? undefined : neuron(k.budget.total),
    spent: neuron(k.spent.total),
    reserved: neuron(k.reserved),
  }))

export interface Outcome {
  readonly key: string
  readonly url: string
  /** HTTP status; 0 when the connection failed (the instance died). */
  readonly status: number
  /** The provider's chat id of a 200 answer (the router's `x-0g-chat-id` header). */
  readonly chatId: string | undefined
}

/**
 * `n` chats, `concurrency` in flight, keys in turn, each sent to the next of `urls()` (read per request, so a test can
 * drop a dead instance). `onDone(i)` runs after each answer, with the count so far.
 */
export const runLoad = async (o: {
  readonly n: number
  readonly concurrency: number
  readonly keys: ReadonlyArray<TestKey>
  readonly urls: () => ReadonlyArray<string>
  readonly onDone?: (done: number) => Promise<void> | void
}): Promise<Outcome[]> => {
  const out: Outcome[] = []
  let next = 0
  const worker = async () => {
    for (let i = next++; i < o.n; i = next++) {
      const key = o.keys[i % o.keys.length] as TestKey
      const urls = o.urls()
      const url = urls[i % urls.length] as string
      let outcome: Outcome
      try {
        const res = await fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
          body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: `q${i}` }], max_tokens: 32 }),
        })
        await res.arrayBuffer()
        outcome = { key: key.id, url, status: res.status, chatId: res.headers.get("x-0g-chat-id") ?? undefined }
      } catch {
        outcome = { key: key.id, url, status: 0, chatId: undefined }
      }
      out.push(outcome)
      await o.onDone?.(out.length)
    }
  }
  await Promise.all(Array.from({ length: o.concurrency }, worker))
  return out
}
