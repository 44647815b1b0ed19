/**
 * The Flow and market contracts (spec storage-protocol.md §3). The fee is ours to compute: sectors (Σ 2^height of
 * the submission nodes) × the pinned market's `pricePerSector()`. `submit` goes through the contracts transaction
 * engine; the txSeq comes from the `Submit` log of the receipt. Reverts become typed errors.
 */
import { type ContractRevert, TxEngine, type TxError } from "@0g-compute/contracts"
import { Chain, describeCause, RpcError } from "@0g-compute/core"
import { Effect } from "effect"
import { getAddress, Interface, type TransactionReceipt } from "ethers"
import { FeeTooLow, MarketAddressMismatch, SubmitUnconfirmed, TxReverted } from "./errors.js"
import type { FileMerkle } from "./merkle/index.js"

export const FLOW_ABI = [
  "function market() view returns (address)",
  "function submit(((uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) data, address submitter) submission) payable returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length)",
  "event Submit(address indexed sender, bytes32 indexed identity, uint256 submissionIndex, uint256 startPos, uint256 length, (uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) submission)",
  "error NotEnoughFee(uint256 price, uint256 amount, uint256 paid)",
] as const

export const MARKET_ABI = ["function pricePerSector() view returns (uint256)"] as const

export const flowInterface = new Interface(FLOW_ABI)
const marketInterface = new Interface(MARKET_ABI)

export interface SubmitResult {
  readonly txHash: string
  readonly txSeq: number
  readonly startEntryIndex: number
  readonly fee: bigint
  /** Gas paid for the transaction, in neuron. */
  readonly gasFee: bigint
}

/** What an upload pays, computed here from the file and the pinned market's price. */
export interface StorageQuote {
  readonly flow: string
  readonly market: string
  readonly sectors: bigint
  readonly pricePerSector: bigint
  /** sectors × pricePerSector, in neuron: exactly the value sent with `submit`. */
  readonly fee: bigint
}

/** The Submission struct for a file (tags default to "0x"). */
export const submissionOf = (merkle: FileMerkle, submitter: string, tags = "0x") => ({
  data: {
    length: BigInt(merkle.layout.size),
    tags,
    nodes: merkle.nodes.map((n) => ({ root: n.root, height: BigInt(n.height) })),
  },
  submitter,
})

/** Sectors a file occupies in the flow: Σ 2^height over its submission nodes (= its padded chunk count). */
export const sectorsOf = (merkle: FileMerkle): bigint =>
  merkle.nodes.reduce((n, node) => n + (1n << BigInt(node.height)), 0n)

const view = (to: string, iface: Interface, fn: string) =>
  Effect.gen(function* () {
    const chain = yield* Chain
    const raw = yield* Effect.tryPromise({
      try: () => chain.provider.call({ to, data: iface.encodeFunctionData(fn, []) }),
      catch: (cause) => new RpcError({ method: `eth_call ${fn}() on ${to}`, cause }),
    })
    return yield* Effect.try({
      try: () => iface.decodeFunctionResult(fn, raw)[0] as unknown,
      catch: (cause) => new RpcError({ method: `eth_call ${fn}() on ${to}`, cause }),
    })
  })

/**
 * Reads the market from the pinned Flow (it must equal `pinnedMarket` when one is known) and its price, and computes
 * the fee for `merkle`.
 */
export const quoteStorageFee = (
  flow: string,
  pinnedMarket: string | undefined,
  merkle: FileMerkle,
): Effect.Effect<StorageQuote, RpcError | MarketAddressMismatch, Chain> =>
  Effect.gen(function* () {
    const market = getAddress(String(yield* view(flow, flowInterface, "market")))
    if (pinnedMarket !== undefined && market.toLowerCase() !== pinnedMarket.toLowerCase()) {
      return yield* new MarketAddressMismatch({ flow, expected: pinnedMarket, reported: market })
    }
    const price = yield* view(market, marketInterface, "pricePerSector")
    if (typeof price !== "bigint") {
      return yield* new RpcError({ method: `pricePerSector() on ${market}`, cause: new Error("not a uint256") })
    }
    const sectors = sectorsOf(merkle)
    return { flow, market, sectors, pricePerSector: price, fee: sectors * price }
  })

/** Parses the `Submit` log our submission produced (matching node roots) from a receipt. */
export const submitLogOf = (receipt: TransactionReceipt, flowAddress: string, merkle: FileMerkle) => {
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== flowAddress.toLowerCase()) continue
    let parsed: ReturnType<Interface["parseLog"]>
    try {
      parsed = flowInterface.parseLog(log)
    } catch {
      continue
    }
    if (parsed?.name !== "Submit") continue
    const submission = parsed.args[5] as unknown as readonly [bigint, string, ReadonlyArray<readonly [string, bigint]>]
    const roots = submission[2].map((n) => n[0].toLowerCase())
    if (roots.join() !== merkle.nodes.map((n) => n.root).join()) continue
    return { txSeq: Number(parsed.args[2] as bigint), startEntryIndex: Number(parsed.args[3] as bigint) }
  }
  return undefined
}

const revertToStorage = (revert: ContractRevert, txHash: string | undefined): FeeTooLow | TxReverted => {
  try {
    const parsed = flowInterface.parseError(revert.data)
    if (parsed?.name === "NotEnoughFee") {
      return new FeeTooLow({ required: parsed.args[1] as bigint, paid: parsed.args[2] as bigint })
    }
  } catch {
    // not a Flow error: described below
  }
  return new TxReverted({ txHash, reason: revert.message })
}

/**
 * The engine's intent for paying `root` to `flow`. Not the fee: a price change while a submit is pending must settle
 * that submit, not sign a second one.
 */
export const submitIntent = (flow: string, root: string) => `storage.submit:${flow.toLowerCase()}:${root.toLowerCase()}`

/** A mined submit of this file: where its data goes in the flow. */
export interface PaidSubmission {
  readonly txHash: string
  readonly txSeq: number
  readonly startEntryIndex: number
  readonly gasFee: bigint
}

/**
 * Reads the receipt of `txHash` (retrying a flaky RPC): `undefined` when the chain has no receipt, "reverted" when it
 * failed (nothing was paid), else the submission it made for `merkle`. Any error names the hash.
 */
export const paidSubmission = (
  txHash: string,
  flowAddress: string,
  merkle: FileMerkle,
  attempts = 5,
): Effect.Effect<PaidSubmission | "reverted" | undefined, SubmitUnconfirmed, Chain> =>
  Effect.gen(function* () {
    const chain = yield* Chain
    const read = (n: number): Effect.Effect<TransactionReceipt | null, SubmitUnconfirmed> =>
      Effect.tryPromise({
        try: () => chain.provider.getTransactionReceipt(txHash),
        catch: (cause) =>
          new SubmitUnconfirmed({ txHash, detail: `eth_getTransactionReceipt: ${describeCause(cause)}` }),
      }).pipe(
        Effect.catch((e) =>
          n + 1 < attempts
            ? Effect.sleep(Math.min(2000, 100 * 2 ** n)).pipe(Effect.andThen(read(n + 1)))
            : Effect.fail(e),
        ),
      )
    const receipt = yield* read(0)
    if (receipt === null) return undefined
    if (receipt.status !== 1) return "reverted"
    const log = submitLogOf(receipt, flowAddress, merkle)
    if (!log) return yield* new SubmitUnconfirmed({ txHash, detail: "no Submit event for this file in the receipt" })
    return { txHash, ...log, gasFee: receipt.gasUsed * receipt.gasPrice }
  })

/** The engine's own outcomes (timeout with the hash, insufficient balance, RPC…) pass through unchanged. */
export type SubmitError =
  | FeeTooLow
  | TxReverted
  | RpcError
  | SubmitUnconfirmed
  | Exclude<TxError, { readonly _tag: "ContractRevert" | "TransactionReverted" }>

/**
 * Sends `submit(submission)` paying exactly `fee` through the transaction engine (one intent per Flow and root), then
 * reads the txSeq from the `Submit` log of the receipt.
 */
export const submitFile = (
  flowAddress: string,
  merkle: FileMerkle,
  fee: bigint,
  tags = "0x",
  onSubmitted?: (hash: string) => void,
): Effect.Effect<SubmitResult, SubmitError, TxEngine | Chain> =>
  Effect.gen(function* () {
    const engine = yield* TxEngine
    const chain = yield* Chain
    const data = flowInterface.encodeFunctionData("submit", [submissionOf(merkle, engine.address, tags)])
    const sent = yield* engine
      .send({
        to: flowAddress,
        data,
        value: fee,
        intent: submitIntent(flowAddress, merkle.root),
        ...(onSubmitted ? { onSubmitted } : {}),
      })
      .pipe(
        Effect.catchTags({
          ContractRevert: (e) => Effect.fail(revertToStorage(e, undefined)),
          TransactionReverted: (e) =>
            Effect.fail(
              e.revert
                ? revertToStorage(e.revert, e.hash)
                : new TxReverted({ txHash: e.hash, reason: "receipt status 0" }),
            ),
        }),
      )
    // Paid from here on: every failure names the hash, so a re-run settles this payment instead of making another.
    const paid = yield* paidSubmission(sent.hash, flowAddress, merkle)
    if (paid === undefined || paid === "reverted") {
      const detail = paid === undefined ? "the RPC has no receipt for it yet" : "its receipt says it reverted"
      return yield* new SubmitUnconfirmed({ txHash: sent.hash, detail })
    }
    // A resumed earlier submit of this intent paid what it was signed with, which a price change may make differ.
    const paidFee = sent.resumed
      ? yield* Effect.tryPromise(() => chain.provider.getTransaction(sent.hash)).pipe(
          Effect.map((tx) => tx?.value ?? fee),
          Effect.orElseSucceed(() => fee),
        )
      : fee
    return {
      txHash: sent.hash,
      txSeq: paid.txSeq,
      startEntryIndex: paid.startEntryIndex,
      fee: paidFee,
      gasFee: sent.fee,
    }
  })
