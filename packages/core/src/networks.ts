/**
 * Network presets (spec networks.md). An unknown chain id fails closed: we never guess contract addresses.
 */
import { Effect } from "effect"
import { UnknownChainId, UnknownNetwork } from "./errors.js"

export type NetworkName = "mainnet" | "testnet" | "testnet-dev" | "devnet"

export interface ContractAddresses {
  readonly ledger: string
  readonly inference: string
  readonly fineTuning: string
}

/**
 * The 0G Storage contracts uploads on a network pay (storage-protocol.md §3). Pinned here because storage nodes and
 * indexers are not trusted to name whom we pay.
 */
export interface StorageContracts {
  readonly flow: string
  /** The market the Flow must report from `market()`. */
  readonly market: string
}

export interface NetworkPreset {
  readonly name: NetworkName
  readonly chainId: bigint
  readonly rpcUrl: string
  readonly explorer: string | undefined
  readonly contracts: ContractAddresses
  /** Storage indexer used by compute flows (turbo on the public networks). */
  readonly storageIndexer: string | undefined
  /** Provider status API (health, model cards); absent on the devnet. */
  readonly statusApi: string | undefined
  /** Pinned storage Flow/market; absent where they are not verified (mainnet: pass the Flow explicitly). */
  readonly storageContracts?: StorageContracts | undefined
}

/** Testnet storage contracts from the Sep 2025 docs (networks.md §5; the storage network is shared by testnet-dev). */
const TESTNET_STORAGE: StorageContracts = {
  flow: "0xbD75117F80b4E22698D0Cd7612d92BDb8eaff628",
  market: "0x53191725d260221bBa307D8EeD6e2Be8DD265e19",
}

export const NETWORKS: Readonly<Record<NetworkName, NetworkPreset>> = {
  mainnet: {
    name: "mainnet",
    chainId: 16661n,
    rpcUrl: "https://evmrpc.0g.ai",
    explorer: "https://chainscan.0g.ai",
    contracts: {
      ledger: "0x2dE54c845Cd948B72D2e32e39586fe89607074E3",
      inference: "0x47340d900bdFec2BD393c626E12ea0656F938d84",
      fineTuning: "0x4e3474095518883744ddf135b7E0A23301c7F9c0",
    },
    storageIndexer: "https://indexer-storage-turbo.0g.ai",
    statusApi: "https://compute-status.0g.ai",
  },
  testnet: {
    name: "testnet",
    chainId: 16602n,
    rpcUrl: "https://evmrpc-testnet.0g.ai",
    explorer: "https://chainscan-galileo.0g.ai",
    contracts: {
      ledger: "0xE70830508dAc0A97e6c087c75f402f9Be669E406",
      inference: "0xa79F4c8311FF93C06b8CfB403690cc987c93F91E",
      fineTuning: "0xC6C075D8039763C8f1EbE580be5ADdf2fd6941bA",
    },
    storageIndexer: "https://indexer-storage-testnet-turbo.0g.ai",
    statusApi: "https://compute-status-testnet.0g.ai",
    storageContracts: TESTNET_STORAGE,
  },
  "testnet-dev": {
    name: "testnet-dev",
    chainId: 16602n,
    rpcUrl: "https://evmrpc-testnet.0g.ai",
    explorer: "https://chainscan-galileo.0g.ai",
    contracts: {
      ledger: "0x815B93ab4Ba4BDF530dbF1552649a3c534F8BbF7",
      inference: "0x41bD7Ac5c19000A974D5c192bcd5FB67b56C85c5",
      fineTuning: "0x4e4158DF35CfdC0ac63264D3E112F5B8E9a5c569",
    },
    storageIndexer: "https://indexer-storage-testnet-turbo.0g.ai",
    statusApi: "https://compute-status-testnet.0g.ai",
    storageContracts: TESTNET_STORAGE,
  },
  devnet: {
    name: "devnet",
    chainId: 31337n,
    rpcUrl: "http://127.0.0.1:8545",
    explorer: undefined,
    contracts: {
      ledger: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
      inference: "0x0165878A594ca255338adfa4d48449f69242Eb8F",
      fineTuning: "0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0",
    },
    storageIndexer: undefined,
    statusApi: undefined,
    // What the storage devnet deploys from account #9 at nonces 0 (market) and 1 (flow) on a fresh chain.
    storageContracts: {
      flow: "0xA15BB66138824a1c7167f5E85b957d04Dd34E468",
      market: "0x700b6A60ce7EaaEA56F065753d8dcB9653dbAD35",
    },
  },
}

export const NETWORK_NAMES = Object.keys(NETWORKS) as ReadonlyArray<NetworkName>

export const isNetworkName = (s: string): s is NetworkName => Object.hasOwn(NETWORKS, s)

/**
 * The preset for a chain id. 16602 maps to `testnet` (the SDK's dev contract set is only chosen by name).
 * Any other unknown id fails with {@link UnknownChainId}.
 */
export const networkForChainId = (chainId: bigint): Effect.Effect<NetworkPreset, UnknownChainId> => {
  const found = [NETWORKS.mainnet, NETWORKS.testnet, NETWORKS.devnet].find((n) => n.chainId === chainId)
  return found ? Effect.succeed(found) : Effect.fail(new UnknownChainId({ chainId }))
}

/** What the user asked for: a named preset, or a custom RPC URL whose chain id decides the preset later. */
export type NetworkSelection =
  | { readonly _tag: "Preset"; readonly preset: NetworkPreset }
  | { readonly _tag: "CustomRpc"; readonly rpcUrl: string }

/** Parses `--network devnet|testnet|testnet-dev|mainnet|<http(s) url>`. */
export const parseNetwork = (input: string): Effect.Effect<NetworkSelection, UnknownNetwork> => {
  if (isNetworkName(input)) return Effect.succeed({ _tag: "Preset", preset: NETWORKS[input] })
  if (/^https?:\/\/[^\s]+$/i.test(input)) {
    try {
      const url = new URL(input)
      return Effect.succeed({ _tag: "CustomRpc", rpcUrl: url.toString().replace(/\/$/, "") })
    } catch {
      // fall through to the typed error
    }
  }
  return Effect.fail(new UnknownNetwork({ input }))
}
