/**
 * Test helper: the network a router test runs on — a devnet (real anvil, our contracts, emulated providers over HTTP),
 * devnet user 0's inference client with 20 0G in its ledger, and every provider acknowledged and funded.
 */
import { Ledger } from "@0g-compute/contracts"
import { makeRpcProvider } from "@0g-compute/core"
import type { Devnet, DevnetOptions } from "@0g-compute/devnet"
import { startTestDevnet } from "@0g-compute/devnet/testing"
import { createInferenceClient, type InferenceClient } from "@0g-compute/inference"
import type { JsonRpcProvider } from "ethers"

export interface RouterNetwork {
  readonly devnet: Devnet
  readonly rpc: JsonRpcProvider
  readonly client: InferenceClient
  /** The client's wallet address (what providers report unsettled fees against). */
  readonly user: string
  /** Closes the client, then stops the devnet. */
  readonly stop: () => Promise<void>
}

export const startRouterNetwork = async (
  options: DevnetOptions,
  o: { readonly config?: Parameters<typeof createInferenceClient>[0]["config"]; readonly fund?: string } = {},
): Promise<RouterNetwork> => {
  const devnet = await startTestDevnet(options)
  const rpc = makeRpcProvider(devnet.rpcUrl, devnet.chainId)
  let client: InferenceClient | undefined
  const stop = async () => {
    await client?.close()
    rpc.destroy()
    await devnet.stop()
  }
  try {
    const account = devnet.accounts.users[0]
    if (account === undefined) throw new Error("no devnet user")
    client = await createInferenceClient({
      privateKey: account.privateKey,
      provider: rpc,
      contracts: devnet.addresses,
      ...(o.config === undefined ? {} : { config: o.config }),
    })
    const c = client
    await c.run(Ledger.use((l) => l.add(20n * 10n ** 18n)))
    for (const p of devnet.inference) await c.acknowledge(p.providerAddress, { allowDevnet: true, fund: o.fund ?? "3" })
    return { devnet, rpc, client: c, user: account.address, stop }
  } catch (e) {
    await stop()
    throw e
  }
}
