/**
 * Test fixture: a devnet (real anvil, real contracts, real emulated providers over HTTP on 127.0.0.1; the devnet side
 * comes from @0g-compute/devnet/testing) and inference clients for its user accounts, each on its own ethers provider whose JSON-RPC calls are counted (wrapping `_send`
 * to count — the calls still go to the chain). A test file sets it all up with one `useTestDevnet(options)` call.
 */
import { Ledger } from "@0g-compute/contracts"
import { makeRpcProvider, NEURON_PER_ZG } from "@0g-compute/core"
import type { Devnet, DevnetOptions, InferenceFaults, InferenceProvider } from "@0g-compute/devnet"
import { startTestDevnet } from "@0g-compute/devnet/testing"
import type { JsonRpcProvider } from "ethers"
import OpenAI from "openai"
import { afterAll, beforeAll } from "vitest"
import type { AcknowledgeResult } from "../attestation/service.js"
import type { InferenceConfigShape } from "../config.js"
import { createInferenceClient, type InferenceClient } from "../facade.js"
import { type Gateway, type GatewayOptions, startGateway } from "../node/gateway/server.js"
import { gatewayOpenAI } from "./gateway.js"

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

type AckOptions = NonNullable<Parameters<InferenceClient["acknowledge"]>[1]>

export interface TestDevnetOptions extends DevnetOptions {
  /** Clients for devnet users 0 … users-1 (default 1), each with `config`. */
  readonly users?: number
  readonly config?: Partial<InferenceConfigShape>
  /** 0G in each user's ledger; no ledger when absent. */
  readonly ledger?: string
  /** Each user acknowledges every provider (`allowDevnet` unless overridden), or per provider (undefined: skip). */
  readonly acknowledge?: AckOptions | ((p: InferenceProvider, i: number) => AckOptions | undefined)
  /** A gateway over user 0's client, started after the acknowledgements. */
  readonly gateway?: (t: TestDevnet) => GatewayOptions
  /** `openai`: an OpenAI client to the gateway when there is one, else to provider 0 through user 0's fetch. */
  readonly openai?: boolean
}

export interface TestDevnet {
  readonly devnet: Devnet
  readonly providers: ReadonlyArray<InferenceProvider>
  /** Provider 0. */
  readonly provider: InferenceProvider
  /** Provider i. */
  readonly at: (i: number) => InferenceProvider
  readonly users: ReadonlyArray<TestUser>
  /** User 0. */
  readonly user: TestUser
  /** User 0's acknowledgement results, by provider index (undefined where skipped). */
  readonly acks: ReadonlyArray<AcknowledgeResult | undefined>
  readonly gateway: Gateway
  readonly openai: OpenAI
  /** Runs `body` against a gateway of its own (user 0's client and provider 0 unless `options` say otherwise). */
  readonly withGateway: (
    options: Partial<GatewayOptions> & { readonly client?: InferenceClient },
    body: (g: Gateway) => Promise<void>,
  ) => Promise<void>
}

/** Runs `f` with `provider`'s faults set, and clears them however it ends. */
export const withFaults = async <T>(
  provider: InferenceProvider,
  faults: InferenceFaults,
  f: () => Promise<T>,
): Promise<T> => {
  provider.faults.set(faults)
  try {
    return await f()
  } finally {
    provider.faults.clear()
  }
}

/**
 * One call per test file: registers the hooks that start a devnet (with the users, ledgers, acknowledgements and
 * gateway asked for) before the file's tests and stop it all after. The handles are read when used, inside tests.
 */
export const useTestDevnet = (options: TestDevnetOptions = {}): TestDevnet => {
  const {
    users: userCount = 1,
    config,
    ledger,
    acknowledge,
    gateway: gatewayOf,
    openai: wantOpenAI,
    ...devnetOptions
  } = options
  let devnet: Devnet | undefined
  const users: TestUser[] = []
  const acks: Array<AcknowledgeResult | undefined> = []
  let gateway: Gateway | undefined
  let openai: OpenAI | undefined

  beforeAll(async () => {
    devnet = await startTestDevnet(devnetOptions)
    for (let i = 0; i < userCount; i++) users.push(await userClient(devnet, i, config))
    const providers = devnet.inference
    for (const [u, user] of users.entries()) {
      if (ledger !== undefined) await addLedger(user, ledger)
      if (acknowledge === undefined) continue
      for (const [i, p] of providers.entries()) {
        const o = typeof acknowledge === "function" ? acknowledge(p, i) : acknowledge
        const ack =
          o === undefined ? undefined : await user.client.acknowledge(p.providerAddress, { allowDevnet: true, ...o })
        if (u === 0) acks[i] = ack
      }
    }
    const first = users[0]
    if (gatewayOf !== undefined && first !== undefined) {
      gateway = await startGateway({ client: first.client, ...gatewayOf(handles) })
    }
    if (wantOpenAI === true && first !== undefined) {
      openai =
        gateway === undefined
          ? new OpenAI(await first.client.openAIOptions(must(providers[0], "provider 0").providerAddress))
          : gatewayOpenAI(gateway)
    }
  })
  afterAll(async () => {
    await gateway?.stop()
    for (const u of users) await u.close()
    await devnet?.stop()
  })

  const handles: TestDevnet = {
    get devnet() {
      return must(devnet, "devnet")
    },
    get providers() {
      return must(devnet, "devnet").inference
    },
    get provider() {
      return must(must(devnet, "devnet").inference[0], "provider 0")
    },
    at: (i) => must(must(devnet, "devnet").inference[i], `provider ${i}`),
    users,
    get user() {
      return must(users[0], "user 0")
    },
    acks,
    get gateway() {
      return must(gateway, "gateway (pass `gateway`)")
    },
    get openai() {
      return must(openai, "openai (pass `openai: true`)")
    },
    withGateway: async (options, body) => {
      const g = await startGateway({
        client: handles.user.client,
        providers: [handles.provider.providerAddress],
        ...options,
      })
      try {
        await body(g)
      } finally {
        await g.stop()
      }
    },
  }
  return handles
}

const must = <A>(value: A | undefined, what: string): A => {
  if (value === undefined) throw new Error(`useTestDevnet: no ${what} yet; read handles inside tests and hooks`)
  return value
}
