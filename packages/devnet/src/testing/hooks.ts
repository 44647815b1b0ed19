/**
 * vitest hooks of the devnet package's own tests over this folder's plain fixtures: one call per test file registers
 * the start and the stop; the handles are read inside tests and hooks. Not part of the `./testing` entry, which
 * stays free of any test runner.
 */
import { useStarted } from "@0g-compute/core/testing/hooks"
import type { NonceManager } from "ethers"
import { afterAll, beforeAll } from "vitest"
import type { Devnet, DevnetOptions } from "../devnet.js"
import type { InferenceProvider } from "../inference/types.js"
import { startTestDevnet } from "./devnet.js"
import { fund, type Rpc, rpcOf, signer } from "./inference.js"
import { type StorageChain, startStorageChain } from "./storage.js"

const notYet = (what: string) => new Error(`${what}: not started yet (use it inside a test or hook)`)

/** The storage tests' chain, started before the file's tests and stopped after them. */
export const useStorageChain = (options: Parameters<typeof startStorageChain>[0] = {}): StorageChain =>
  useStarted(async (onStop) => {
    const chain = await startStorageChain(options)
    onStop(() => chain.stop())
    return chain
  })

export interface InferenceDevnet {
  readonly devnet: Devnet
  readonly rpc: Rpc
  /** Provider 0. */
  readonly provider: InferenceProvider
  /** Devnet user i's signer on `rpc`: one per user, so its nonces stay in step. */
  readonly user: (i: number) => NonceManager
}

/**
 * The emulator tests' devnet, one call per file: registers the hooks that start it (settlement on demand unless set)
 * with an RPC provider and, with `subAccount`, user 0's sub-account with provider 0 funded with that much (from
 * a 10 0G ledger), and stop it after.
 * The handle's fields are read inside tests and hooks.
 */
export const useInferenceDevnet = (options: DevnetOptions & { readonly subAccount?: bigint } = {}): InferenceDevnet => {
  const { subAccount, ...devnetOptions } = options
  let started: { readonly devnet: Devnet; readonly rpc: Rpc } | undefined
  const signers = new Map<number, NonceManager>()
  const get = () => {
    if (started === undefined) throw notYet("useInferenceDevnet")
    return started
  }
  const handle: InferenceDevnet = {
    get devnet() {
      return get().devnet
    },
    get rpc() {
      return get().rpc
    },
    get provider() {
      const p = get().devnet.inference[0]
      if (p === undefined) throw new Error("useInferenceDevnet: the devnet has no inference provider")
      return p
    },
    user: (i) => {
      let s = signers.get(i)
      if (s === undefined) {
        const account = get().devnet.accounts.users[i]
        if (account === undefined) throw new Error(`useInferenceDevnet: no devnet user ${i}`)
        s = signer(account, get().rpc)
        signers.set(i, s)
      }
      return s
    },
  }
  beforeAll(async () => {
    const devnet = await startTestDevnet(devnetOptions)
    started = { devnet, rpc: rpcOf(devnet) }
    if (subAccount !== undefined) await fund(devnet, handle.user(0), handle.provider.providerAddress, subAccount)
  })
  afterAll(async () => {
    started?.rpc.destroy()
    await started?.devnet.stop()
  })
  return handle
}
