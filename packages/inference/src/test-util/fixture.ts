/**
 * Test fixture: a devnet (real anvil, real contracts, real emulated providers over HTTP on 127.0.0.1) and inference
 * clients for its user accounts, each on its own ethers provider whose JSON-RPC calls are counted (wrapping `_send`
 * to count — the calls still go to the chain).
 */
import { Ledger } from "@0g-compute/contracts"
import { makeRpcProvider, NEURON_PER_ZG } from "@0g-compute/core"
import { type Devnet, type DevnetOptions, startDevnet } from "@0g-compute/devnet"
import type { JsonRpcProvider } from "ethers"
import type { InferenceConfigShape } from "../config.js"
import { createInferenceClient, type InferenceClient } from "../facade.js"

export const ZG = (n: number | string): bigint => {
  const [w = "0", f = ""] = String(n).split(".")
  return BigInt(w) * NEURON_PER_ZG + BigInt(f.padEnd(18, "0").slice(0, 18))
}

/** Counts JSON-RPC requests (a batch counts each call). */
export const countRpc = (provider: JsonRpcProvider) => {
  const counter = { calls: 0, methods: [] as string[] }
  const p = provider as unknown as { _send: (payload: unknown) => Promise<unknown> }
  const original = p._send.bind(provider)
  p._send = (payload: unknown) => {
    const list = Array.isArray(payload) ? payload : [payload]
    counter.calls += list.length
    for (const x of list) counter.methods.push(String((x as { method?: unknown }).method))
    return original(payload)
  }
  return {
    get calls() {
      return counter.calls
    },
    get methods() {
      return [...counter.methods]
    },
    reset: () => {
      counter.calls = 0
      counter.methods.length = 0
    },
  }
}

export const startTestDevnet = (options: DevnetOptions = {}) =>
  startDevnet({ ...options, inference: { settleIntervalMs: 0, ...options.inference } })

export interface TestUser {
  readonly client: InferenceClient
  readonly provider: JsonRpcProvider
  readonly rpc: ReturnType<typeof countRpc>
  readonly address: string
  readonly close: () => Promise<void>
}

/** A signing client for devnet user `i`, with fast signature retries (the emulator signs before the last byte). */
export const userClient = async (
  devnet: Devnet,
  i: number,
  config: Partial<InferenceConfigShape> = {},
): Promise<TestUser> => {
  const account = devnet.accounts.users[i]
  if (account === undefined) throw new Error(`no devnet user ${i}`)
  const provider = makeRpcProvider(devnet.rpcUrl, devnet.chainId)
  const rpc = countRpc(provider)
  const client = await createInferenceClient({
    privateKey: account.privateKey,
    provider,
    contracts: devnet.addresses,
    config: { signatureAttempts: 2, signatureRetryDelayMs: 10, ...config },
  })
  return {
    client,
    provider,
    rpc,
    address: client.address,
    close: async () => {
      await client.close()
      provider.destroy()
    },
  }
}

/** Creates the user's ledger with `amount` 0G. */
export const addLedger = (user: TestUser, amount: string) => user.client.run(Ledger.use((l) => l.add(ZG(amount))))
