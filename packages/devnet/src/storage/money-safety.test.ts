/**
 * Storage money safety (issue 11): we decide whom we pay and how much, and every byte from a node or indexer has a
 * deadline and a ceiling. Each hostile party below is an emulated node/indexer mode over real HTTP, on anvil.
 */

import { minedReceipt } from "@0g-compute/contracts/node"
import { NETWORKS } from "@0g-compute/core"
import { failure } from "@0g-compute/core/testing"
import { computeRoot, downloadBytes, FLOW_ABI, MARKET_ABI, sectorsOf, uploadBytes } from "@0g-compute/storage"
import { Redacted } from "effect"
import { Contract, JsonRpcProvider, Network, Wallet } from "ethers"
import { afterEach, beforeAll, describe, expect, it } from "vitest"
import { deriveAccount } from "../accounts.js"
import { useStorageChain } from "../testing/hooks.js"
import { deployGreedyFlow, loadStorageArtifact, type StorageDevnet } from "./index.js"

const PRICE = 1_000_000_000n
const GREEDY_PRICE = 10n ** 16n

const bytes = (size: number, seed: number) => new Uint8Array(size).map((_, i) => (i * 31 + seed) % 253)

describe("storage money safety against hostile nodes and indexers", () => {
  const chain = useStorageChain({ pricePerSector: PRICE })
  let payer: Wallet
  const base = () => ({ indexerUrl: chain.devnet.indexerUrl, pollIntervalMs: 20, signer: payer })
  const node = () => chain.devnet.nodes[0] as StorageDevnet["nodes"][0]

  /** Wallet balance and nonce: both must be untouched by every refused upload. */
  const wallet = async () => ({
    balance: await chain.provider.getBalance(payer.address),
    nonce: await chain.provider.getTransactionCount(payer.address),
  })

  beforeAll(async () => {
    payer = new Wallet(Redacted.value(deriveAccount(5).privateKey), chain.provider)
  })
  afterEach(() => {
    chain.devnet.indexer.faults.reset()
    for (const n of chain.devnet.nodes) n.faults.reset()
  })

  it("the storage chain.devnet deploys its Flow and market at the chain.devnet preset's pinned addresses", () => {
    expect(chain.devnet.flowAddress).toBe(NETWORKS.devnet.storageContracts?.flow)
    expect(chain.devnet.marketAddress).toBe(NETWORKS.devnet.storageContracts?.market)
  })

  it("audit reproduction: an indexer pointing at a Flow that is its own market at 1e16/sector is refused, nothing paid", async () => {
    const attacker = new Wallet(Redacted.value(deriveAccount(7).privateKey), chain.provider)
    const greedy = await deployGreedyFlow(attacker, GREEDY_PRICE)
    // The hostile party is real: its market is itself, it quotes 1e16 and it would take a payment.
    const asFlow = new Contract(greedy, [...FLOW_ABI, ...MARKET_ABI], chain.provider)
    expect(await asFlow.getFunction("market").staticCall()).toBe(greedy)
    expect(await asFlow.getFunction("pricePerSector").staticCall()).toBe(GREEDY_PRICE)
    await chain.provider.call({ from: payer.address, to: greedy, data: "0xbc8c11f8", value: GREEDY_PRICE })
    chain.devnet.indexer.faults.reportFlow(greedy)
    const before = await wallet()

    // 200 KiB = 832 sectors: at 1e16 neuron each the audit's client sent 8.32 0G to this contract.
    const err = await failure(uploadBytes(bytes(200 * 1024, 1), base()))

    expect(err).toMatchObject({ _tag: "FlowAddressMismatch", expected: chain.devnet.flowAddress, reported: greedy })
    expect(err.message).toContain(greedy)
    expect(await wallet()).toEqual(before)
    expect(await chain.provider.getBalance(greedy)).toBe(0n)
  })

  it("an explicit Flow is paid only with its market pinned or the fee bounded", async () => {
    const attacker = new Wallet(Redacted.value(deriveAccount(7).privateKey), chain.provider)
    const greedy = await deployGreedyFlow(attacker, GREEDY_PRICE)
    chain.devnet.indexer.faults.reportFlow(greedy)
    const before = await wallet()
    const market = chain.devnet.marketAddress as string
    const data = bytes(200 * 1024, 2)

    const mismatch = await failure(uploadBytes(data, { ...base(), flowAddress: greedy, marketAddress: market }))
    expect(mismatch).toMatchObject({ _tag: "MarketAddressMismatch", flow: greedy, expected: market, reported: greedy })

    // Told to pay that Flow but not which market to trust: its 8.32 0G price is only its own claim.
    const unpinned = await failure(uploadBytes(data, { ...base(), flowAddress: greedy }))
    expect(unpinned).toMatchObject({ _tag: "MarketNotPinned", flow: greedy, market: greedy, fee: 832n * GREEDY_PRICE })
    expect(unpinned.message).toContain("8.32 0G")

    const bounded = await failure(uploadBytes(data, { ...base(), flowAddress: greedy, maxFee: 10n ** 15n }))
    expect(bounded).toMatchObject({ _tag: "StorageFeeAboveMax", fee: 832n * GREEDY_PRICE, maxFee: 10n ** 15n })
    expect(await wallet()).toEqual(before)
    expect(await chain.provider.getBalance(greedy)).toBe(0n)
  })

  it("a node reporting another chain id is refused with both values", async () => {
    node().faults.report({ chainId: 16661 })
    const before = await wallet()
    const err = await failure(uploadBytes(bytes(5000, 3), base()))
    expect(err).toMatchObject({ _tag: "NodeChainMismatch", node: node().url, expected: 31337n, reported: 16661n })
    expect(await wallet()).toEqual(before)
  })

  it("a signer whose chain.provider claims another chain than its RPC serves is refused before anything else", async () => {
    const lying = new JsonRpcProvider(chain.anvil.rpcUrl, Network.from(16661), {
      staticNetwork: true,
      cacheTimeout: -1,
    })
    try {
      const signer = new Wallet(Redacted.value(deriveAccount(5).privateKey), lying)
      const before = await wallet()
      const err = await failure(
        uploadBytes(bytes(5000, 10), { ...base(), signer, flowAddress: chain.devnet.flowAddress }),
      )
      expect(err).toMatchObject({ _tag: "ChainMismatch", expected: 16661n, actual: 31337n })
      expect(await wallet()).toEqual(before)
    } finally {
      lying.destroy()
    }
  })

  it("a node reporting another Flow is refused even when the indexer is honest", async () => {
    const other = `0x${"ab".repeat(20)}`
    node().faults.report({ flowAddress: other })
    const before = await wallet()
    const err = await failure(uploadBytes(bytes(5000, 4), base()))
    expect(err).toMatchObject({ _tag: "FlowAddressMismatch", expected: chain.devnet.flowAddress, reported: other })
    expect(await wallet()).toEqual(before)
  })

  it("a market price above maxFee is refused before any transaction", async () => {
    const data = bytes(300_000, 5)
    const sectors = sectorsOf(await computeRoot(data))
    const owner = new Wallet(Redacted.value(deriveAccount(9).privateKey), chain.provider)
    const market = new Contract(
      chain.devnet.marketAddress as string,
      loadStorageArtifact("DevnetMarket").abi as never,
      owner,
    )
    await minedReceipt(market.getFunction("setPricePerSector")(PRICE * 1000n))
    try {
      const before = await wallet()
      const err = await failure(uploadBytes(data, { ...base(), maxFee: sectors * PRICE }))
      expect(err).toMatchObject({
        _tag: "StorageFeeAboveMax",
        fee: sectors * PRICE * 1000n,
        maxFee: sectors * PRICE,
        sectors,
        pricePerSector: PRICE * 1000n,
      })
      expect(await wallet()).toEqual(before)
    } finally {
      await minedReceipt(market.getFunction("setPricePerSector")(PRICE))
    }
  })

  it("a normal upload pays exactly sectors × price; wallet before − after == fee + gas, to the neuron", async () => {
    const data = bytes(200 * 1024, 6)
    const expectedFee = sectorsOf(await computeRoot(data)) * PRICE
    const flowBefore = await chain.provider.getBalance(chain.devnet.flowAddress)
    const before = await wallet()
    const fees: bigint[] = []
    const result = await uploadBytes(data, {
      ...base(),
      onProgress: (p) => {
        if (p.phase === "fee") fees.push(p.fee)
      },
    })
    const after = await wallet()
    expect(result.fee).toBe(expectedFee)
    expect(fees).toEqual([expectedFee])
    const receipt = await chain.provider.getTransactionReceipt(result.txHash as string)
    expect(result.gasFee).toBe((receipt?.gasUsed ?? 0n) * (receipt?.gasPrice ?? 0n))
    expect(result.gasFee).toBeGreaterThan(0n)
    expect(before.balance - after.balance).toBe(result.fee + result.gasFee)
    expect(await chain.provider.getBalance(chain.devnet.flowAddress)).toBe(flowBefore + expectedFee)
    expect(after.nonce).toBe(before.nonce + 1)
  })

  it("a stalled indexer or node ends in a timeout error, nothing paid", async () => {
    const before = await wallet()
    chain.devnet.indexer.faults.stall("headers")
    const silent = await failure(uploadBytes(bytes(5000, 7), { ...base(), firstByteTimeoutMs: 300 }))
    expect(silent).toMatchObject({
      _tag: "NodeRpcError",
      kind: "timeout",
      limit: 300,
      method: "indexer_getShardedNodes",
    })
    chain.devnet.indexer.faults.reset()

    node().faults.stall("body")
    const trickle = await failure(uploadBytes(bytes(5000, 7), { ...base(), idleTimeoutMs: 300 }))
    expect(trickle).toMatchObject({ _tag: "NodeRpcError", kind: "timeout", limit: 300, method: "zgs_getStatus" })
    expect(await wallet()).toEqual(before)
  })

  it("huge replies are cut at the cap: 4 MiB for JSON-RPC, a segment's declared size for downloads", async () => {
    chain.devnet.indexer.faults.huge(64 * 1024 * 1024)
    const err = await failure(uploadBytes(bytes(5000, 8), base()))
    expect(err).toMatchObject({ _tag: "NodeRpcError", kind: "too-large", limit: 4 * 1024 * 1024 })
    chain.devnet.indexer.faults.reset()

    const data = bytes(3000, 9)
    const { root } = await uploadBytes(data, base())
    // 2 MiB is under the general cap, but a 3000-byte file's only segment cannot need more than a few KiB.
    node().faults.huge(2 * 1024 * 1024, "zgs_downloadSegmentWithProofByTxSeq")
    const seg = await failure(downloadBytes(root, { indexerUrl: chain.devnet.indexerUrl, attempts: 1 }))
    expect(seg._tag).toBe("SegmentUnavailable")
    expect(String(seg.reasons)).toMatch(/reply larger than \d+ bytes/)
  })
})
