/**
 * The Flow and market contracts (spec storage-protocol.md §3): fee = sectors × pricePerSector, `submit` with the
 * current ABI, the `Submit` log read from the receipt for the txSeq. Reverts become typed errors.
 */
import { InsufficientBalance } from "@0g-compute/core"
import { Effect } from "effect"
import { Contract, Interface, type Signer, type TransactionReceipt } from "ethers"
import { FeeTooLow, NodeMisbehaved, TxReverted } from "./errors.js"
import type { FileMerkle } from "./merkle/index.js"

export const FLOW_ABI = [
  "function market() view returns (address)",
  "function submit(((uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) data, address submitter) submission) payable returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length)",
  "event Submit(address indexed sender, bytes32 indexed identity, uint256 submissionIndex, uint256 startPos, uint256 length, (uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) submission)",
  "error NotEnoughFee(uint256 price, uint256 amount, uint256 paid)",
] as const

export const MARKET_ABI = ["function pricePerSector() view returns (uint256)"] as const

export const flowInterface = new Interface(FLOW_ABI)

export interface SubmitResult {
  readonly txHash: string
  readonly txSeq: number
  readonly startEntryIndex: number
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

const chainError = (what: string) => (cause: unknown) =>
  new NodeMisbehaved({
    node: "chain",
    detail: `${what}: ${cause instanceof Error ? cause.message.split("\n")[0] : String(cause)}`,
  })

/** Fee for a file: Σ 2^height × market.pricePerSector(). */
export const storageFee = (signer: Signer, flowAddress: string, merkle: FileMerkle) =>
  Effect.tryPromise({
    try: async () => {
      const flow = new Contract(flowAddress, FLOW_ABI, signer)
      const market = (await flow.getFunction("market").staticCall()) as string
      const price = (await new Contract(market, MARKET_ABI, signer)
        .getFunction("pricePerSector")
        .staticCall()) as bigint
      return BigInt(merkle.layout.paddedChunks) * price
    },
    catch: chainError("reading the storage price"),
  })

interface EthersLikeError {
  readonly code?: string
  readonly revert?: { readonly name: string; readonly args: ReadonlyArray<unknown> }
  readonly data?: string
  readonly shortMessage?: string
  readonly message?: string
}

const decodeRevert = (e: EthersLikeError): { name: string; args: ReadonlyArray<unknown> } | undefined => {
  if (e.revert) return e.revert
  if (typeof e.data === "string" && e.data.length >= 10) {
    try {
      const parsed = flowInterface.parseError(e.data)
      if (parsed) return { name: parsed.name, args: [...parsed.args] }
    } catch {
      return undefined
    }
  }
  return undefined
}

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

/** Sends `submit(submission)` paying `fee`, waits for the receipt and reads the txSeq from the `Submit` log. */
export const submitFile = (
  signer: Signer,
  flowAddress: string,
  merkle: FileMerkle,
  fee: bigint,
  tags = "0x",
  waitTimeoutMs = 300_000,
): Effect.Effect<SubmitResult, FeeTooLow | TxReverted | InsufficientBalance> =>
  Effect.gen(function* () {
    const submitter = yield* Effect.tryPromise({
      try: () => signer.getAddress(),
      catch: (e) => new TxReverted({ txHash: undefined, reason: String(e) }),
    })
    const balance = yield* Effect.tryPromise({
      try: async () => (signer.provider ? await signer.provider.getBalance(submitter) : undefined),
      catch: (e) => new TxReverted({ txHash: undefined, reason: `reading the balance: ${String(e)}` }),
    })
    if (balance !== undefined && balance < fee) {
      return yield* new InsufficientBalance({ what: "balance for the storage fee", required: fee, available: balance })
    }
    const flow = new Contract(flowAddress, FLOW_ABI, signer)
    const submit = flow.getFunction("submit")
    const args = [submissionOf(merkle, submitter, tags), { value: fee }] as const
    let txHash: string | undefined
    const receipt = yield* Effect.tryPromise({
      try: async () => {
        // Simulate first: a revert is reported without spending gas or a nonce (NonceManager signers burn one on
        // a failed send, which would stall every later transaction).
        await submit.staticCall(...args)
        const tx = await submit(...args)
        txHash = tx.hash as string
        return (await tx.wait(1, waitTimeoutMs)) as TransactionReceipt | null
      },
      catch: (cause) => {
        const e = (cause ?? {}) as EthersLikeError
        const revert = decodeRevert(e)
        if (revert?.name === "NotEnoughFee") {
          return new FeeTooLow({ required: BigInt(revert.args[1] as bigint), paid: BigInt(revert.args[2] as bigint) })
        }
        if (e.code === "INSUFFICIENT_FUNDS") {
          return new InsufficientBalance({
            what: "balance for the storage fee and gas",
            required: fee,
            available: balance ?? 0n,
          })
        }
        const reason = revert
          ? `${revert.name}(${revert.args.join(", ")})`
          : (e.shortMessage ?? e.message ?? String(cause))
        return new TxReverted({ txHash, reason })
      },
    })
    if (receipt?.status !== 1) {
      return yield* new TxReverted({ txHash: receipt?.hash ?? txHash, reason: "receipt status 0" })
    }
    const log = submitLogOf(receipt, flowAddress, merkle)
    if (!log)
      return yield* new TxReverted({ txHash: receipt.hash, reason: "no Submit event for this file in the receipt" })
    return { txHash: receipt.hash, txSeq: log.txSeq, startEntryIndex: log.startEntryIndex, fee }
  })
