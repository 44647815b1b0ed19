/**
 * `startStorageDevnet()`: 0G storage on a local chain — our DevnetMarket + DevnetFlow contracts (current and old
 * `submit` ABI), emulated storage nodes over real HTTP with data in temp dirs, an indexer, fault switches.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NETWORKS } from "@0g-compute/core"
import { loadKeccak } from "@0g-compute/storage"
import { Redacted } from "effect"
import { JsonRpcProvider, Network, NonceManager, Wallet } from "ethers"
import { deriveAccount } from "../accounts.js"
import { deployStorageContracts, SubmitLog } from "./chain.js"
import { type EmulatedIndexer, startIndexer } from "./indexer.js"
import { type EmulatedStorageNode, startStorageNode } from "./node.js"
import { NodeStore, type ShardConfig } from "./store.js"

export type { SubmittedTx } from "./chain.js"
export { deployStorageContracts, loadStorageArtifact, SUBMIT_TOPIC } from "./chain.js"
export { deployGreedyFlow } from "./greedy-flow.js"
export type { EmulatedIndexer, StorageIndexerFaults } from "./indexer.js"
export type { EmulatedStorageNode, StorageNodeFaults } from "./node.js"
export type { ShardConfig } from "./store.js"

export interface StorageDevnetOptions {
  /** JSON-RPC URL of the (anvil) chain. */
  readonly rpcUrl: string
  /**
   * Deploys the contracts. Default: the test mnemonic's account #9, so account #0's nonces (which fix the compute
   * contract addresses) are never touched. On a fresh chain (#9 has sent nothing) the market and Flow land at the
   * devnet preset's pinned addresses (`NETWORKS.devnet.storageContracts`); later deployments get other addresses.
   */
  readonly deployerKey?: string
  /** Use already deployed contracts instead of deploying. */
  readonly flowAddress?: string
  /** Neuron per 256-byte sector (default 1e9, i.e. 1 gwei). */
  readonly pricePerSector?: bigint
  /** Nodes and their shards (default one node, shard 0/1). A number n means n full replicas. */
  readonly nodes?: number | ReadonlyArray<ShardConfig>
  /** Parent directory for node data (default the OS temp dir); removed on stop. */
  readonly dataDir?: string
  /**
   * Copy every segment a node accepts to the other nodes whose shard wants it, as the real network's p2p sync does
   * (default true). With it, an upload to one node is downloadable from all.
   */
  readonly replicate?: boolean
}

export interface StorageDevnet {
  readonly flowAddress: string
  readonly marketAddress: string | undefined
  readonly indexerUrl: string
  /** The indexer, with its hostile modes. */
  readonly indexer: EmulatedIndexer
  readonly nodes: ReadonlyArray<EmulatedStorageNode>
  readonly chainId: number
  readonly stop: () => Promise<void>
}

export const startStorageDevnet = async (options: StorageDevnetOptions): Promise<StorageDevnet> => {
  const probe = new JsonRpcProvider(options.rpcUrl)
  const chainId = Number((await probe.getNetwork()).chainId)
  probe.destroy()
  const provider = new JsonRpcProvider(options.rpcUrl, Network.from(chainId), { staticNetwork: true })
  provider.pollingInterval = 50
  let flowAddress = options.flowAddress
  let marketAddress: string | undefined
  if (!flowAddress) {
    const deployer = new NonceManager(
      new Wallet(options.deployerKey ?? Redacted.value(deriveAccount(9).privateKey), provider),
    )
    const fresh = (await provider.getTransactionCount(await deployer.getAddress())) === 0
    const deployed = await deployStorageContracts(deployer, options.pricePerSector ?? 1_000_000_000n)
    flowAddress = deployed.flow
    marketAddress = deployed.market
    const pinned = NETWORKS.devnet.storageContracts
    if (fresh && options.deployerKey === undefined && pinned?.flow !== flowAddress) {
      throw new Error(`storage devnet deployed its Flow at ${flowAddress}, not at the pinned ${pinned?.flow}`)
    }
  }
  const keccak = await loadKeccak()
  const root = mkdtempSync(join(options.dataDir ?? tmpdir(), "zg-storage-devnet-"))
  const shards: ReadonlyArray<ShardConfig> =
    typeof options.nodes === "number"
      ? Array.from({ length: options.nodes }, () => ({ shardId: 0, numShard: 1 }))
      : (options.nodes ?? [{ shardId: 0, numShard: 1 }])
  const stores = shards.map((shard, i) => new NodeStore(join(root, `node-${i}`), shard, keccak))
  const log = new SubmitLog(provider, flowAddress, (tx) => {
    for (const s of stores) s.addTx(tx)
  })
  if (options.replicate !== false) {
    for (const s of stores) {
      s.onStored = (seq, index, data, proof) => {
        for (const peer of stores) if (peer !== s) peer.adopt(seq, index, data, proof)
      }
    }
  }
  const nodes: EmulatedStorageNode[] = []
  for (const store of stores) {
    nodes.push(await startStorageNode({ log, flowAddress, chainId, store }))
  }
  const indexer = await startIndexer(nodes, log, (node, fileRoot) => {
    const i = nodes.indexOf(node)
    return stores[i]?.byRootLookup(fileRoot, true)?.finalized === true
  })
  let stopped = false
  return {
    flowAddress,
    marketAddress,
    indexerUrl: indexer.url,
    indexer,
    nodes,
    chainId,
    stop: async () => {
      if (stopped) return
      stopped = true
      await Promise.all([indexer.close(), ...nodes.map((n) => n.stop())])
      provider.destroy()
      rmSync(root, { recursive: true, force: true })
    },
  }
}
