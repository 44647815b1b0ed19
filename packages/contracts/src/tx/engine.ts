/**
 * The transaction engine: every write of the SDK goes through `TxEngine.send`.
 *
 * 1. preflight: wallet balance ≥ value; gas estimate (a revert here is decoded and nothing is sent) plus headroom;
 *    wallet balance ≥ value + gasLimit × maxFeePerGas (what the node itself demands);
 * 2. broadcast under the signer's nonce lock (see nonce.ts), retrying "nonce too low" (resync) and underpriced
 *    replacements (fees bumped ≥ 10% on every fee field), a bounded number of times;
 * 3. receipt wait with a timeout; status 0 becomes `TransactionReverted` with the replayed reason.
 */
import { Chain, InsufficientBalance, RpcError, Wallet } from "@0g-compute/core"
import { Context, Effect, Layer } from "effect"
import type { TransactionReceipt, TransactionRequest } from "ethers"
import type { ContractName } from "../clients.js"
import { type ContractRevert, TransactionReverted, TransactionTimeout } from "../errors.js"
import { revertFromError } from "../revert.js"
import { bumpFees, classifySendError, type Fees, maxPricePerGas, withHeadroom } from "./fees.js"
import { nonceSlot, withNonce } from "./nonce.js"

export interface TxRequest {
  readonly to: string
  readonly data: string
  /** Native value in neuron. */
  readonly value?: bigint
  /** The contract called, so its custom errors are decoded first. */
  readonly contract?: ContractName
  /** Skip estimation and use this gas limit as is. */
  readonly gasLimit?: bigint
  /** Use this nonce (to replace a pending transaction) instead of the signer's next one. */
  readonly nonce?: number
  /** Called once the transaction is accepted by the node, before waiting for the receipt. */
  readonly onSubmitted?: (hash: string) => void
}

export interface TxResult {
  readonly hash: string
  readonly blockNumber: number
  readonly gasUsed: bigint
  readonly effectiveGasPrice: bigint
  /** gasUsed × effectiveGasPrice, in neuron. */
  readonly fee: bigint
}

export type TxError = ContractRevert | TransactionReverted | TransactionTimeout | InsufficientBalance | RpcError

export interface TxEngineOptions {
  /** Added to the gas estimate. Default 20. */
  readonly gasHeadroomPercent?: number
  /** How long to wait for a receipt. Default 120 000 ms. */
  readonly receiptTimeoutMs?: number
  /** Broadcast attempts, including the first. Default 4. */
  readonly maxAttempts?: number
  /** Fee increase per retry, at least 10 (nodes' replacement rule). Default 12.5. */
  readonly feeBumpPercent?: number
  /** Receipt polling interval. Default: the provider's polling interval, within [50, 4000] ms. */
  readonly receiptPollMs?: number
}

export interface TxEngineShape {
  /** The sending address. */
  readonly address: string
  /** Estimates gas for a request from this signer; a revert is decoded. */
  readonly estimateGas: (req: TxRequest) => Effect.Effect<bigint, ContractRevert | InsufficientBalance | RpcError>
  /** Sends and waits for the receipt. */
  readonly send: (req: TxRequest) => Effect.Effect<TxResult, TxError>
}

export class TxEngine extends Context.Service<TxEngine, TxEngineShape>()("zg/contracts/TxEngine") {
  /** The engine with default options; needs `Wallet` and `Chain`. */
  static readonly layer = Layer.effect(
    TxEngine,
    Effect.suspend(() => makeTxEngine()),
  )
  /** The engine with custom options. */
  static readonly layerWith = (options: TxEngineOptions) => Layer.effect(TxEngine, makeTxEngine(options))
}

const rpc = <A>(method: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (cause) => new RpcError({ method, cause }) })

export const makeTxEngine = (options: TxEngineOptions = {}) =>
  Effect.gen(function* () {
    const chain = yield* Chain
    const wallet = yield* Wallet
    const headroom = options.gasHeadroomPercent ?? 20
    const timeoutMs = options.receiptTimeoutMs ?? 120_000
    const maxAttempts = Math.max(1, options.maxAttempts ?? 4)
    const bumpPercent = Math.max(10, options.feeBumpPercent ?? 12.5)
    const provider = chain.provider
    const from = wallet.address
    const slot = nonceSlot(provider, from)

    const balance = rpc("eth_getBalance", () => provider.getBalance(from))
    const short = (required: bigint, available: bigint) =>
      new InsufficientBalance({ what: "wallet balance", required, available })

    const estimateGas = Effect.fn("TxEngine.estimateGas")(function* (req: TxRequest) {
      const value = req.value ?? 0n
      if (value > 0n) {
        const have = yield* balance
        if (have < value) return yield* short(value, have)
      }
      return yield* Effect.tryPromise({
        try: () => provider.estimateGas({ from, to: req.to, data: req.data, value }),
        catch: (cause) => revertFromError(cause, req.contract) ?? new RpcError({ method: "eth_estimateGas", cause }),
      })
    })

    const feeData = Effect.gen(function* () {
      const f = yield* rpc("eth_feeHistory", () => provider.getFeeData())
      if (f.maxFeePerGas !== null && f.maxPriorityFeePerGas !== null) {
        return { type: 2, maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas } as Fees
      }
      if (f.gasPrice !== null) return { type: 0, gasPrice: f.gasPrice } as Fees
      return yield* new RpcError({ method: "eth_gasPrice", cause: new Error("the node reported no fee data") })
    })

    const readPending = rpc("eth_getTransactionCount", () => provider.getTransactionCount(from, "pending"))

    /** One broadcast attempt under the nonce lock. Fails with the raw ethers error for classification. */
    const broadcast = (req: TxRequest, gasLimit: bigint, fees: Fees) =>
      withNonce(slot, readPending, req.nonce, (nonce) =>
        Effect.tryPromise({
          try: async () => {
            const tx: TransactionRequest = {
              to: req.to,
              data: req.data,
              value: req.value ?? 0n,
              gasLimit,
              nonce,
              chainId: chain.chainId,
              ...(fees.type === 2
                ? { type: 2, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas }
                : { type: 0, gasPrice: fees.gasPrice }),
            }
            const sent = await wallet.signer.sendTransaction(tx)
            return sent.hash
          },
          catch: (cause) => ({ _tag: "SendFailed" as const, cause }),
        }),
      )

    const replayRevert = (req: TxRequest, receipt: TransactionReceipt) =>
      Effect.tryPromise(() =>
        provider.call({
          from,
          to: req.to,
          data: req.data,
          value: req.value ?? 0n,
          blockTag: Math.max(0, receipt.blockNumber - 1),
        }),
      ).pipe(
        Effect.match({
          onSuccess: () => undefined,
          onFailure: (e) => revertFromError((e as { error?: unknown }).error ?? e, req.contract),
        }),
      )

    // Our own polling rather than provider.waitForTransaction: ethers' block subscriber ignores a block mined before
    // it started (the normal case on an automining devnet) and can then wait for a block that never comes.
    const pollMs =
      options.receiptPollMs ??
      Math.min(4_000, Math.max(50, (provider as { pollingInterval?: number }).pollingInterval ?? 1_000))
    const pollReceipt = (hash: string) =>
      Effect.gen(function* () {
        for (;;) {
          const receipt = yield* rpc("eth_getTransactionReceipt", () => provider.getTransactionReceipt(hash))
          if (receipt !== null) return receipt
          yield* Effect.sleep(pollMs)
        }
      })

    const waitReceipt = (req: TxRequest, hash: string) =>
      Effect.gen(function* () {
        const receipt = yield* pollReceipt(hash).pipe(
          Effect.timeoutOrElse({
            duration: timeoutMs,
            orElse: () => Effect.fail(new TransactionTimeout({ hash, timeoutMs })),
          }),
        )
        const gasUsed = receipt.gasUsed
        const effectiveGasPrice = receipt.gasPrice
        const fee = gasUsed * effectiveGasPrice
        if (receipt.status !== 1) {
          const revert = yield* replayRevert(req, receipt)
          return yield* new TransactionReverted({ hash, blockNumber: receipt.blockNumber, gasUsed, fee, revert })
        }
        return { hash, blockNumber: receipt.blockNumber, gasUsed, effectiveGasPrice, fee } satisfies TxResult
      }).pipe(
        // A lost or stuck transaction leaves a nonce gap behind it: re-read the pending count next time.
        Effect.tapError((e) =>
          Effect.sync(() => {
            if (e._tag === "TransactionTimeout") slot.next = undefined
          }),
        ),
      )

    const send = Effect.fn("TxEngine.send")(function* (req: TxRequest) {
      const value = req.value ?? 0n
      const gasLimit = req.gasLimit ?? withHeadroom(yield* estimateGas(req), headroom)
      let fees = yield* feeData
      const have = yield* balance
      const need = value + gasLimit * maxPricePerGas(fees)
      if (have < need) return yield* short(need, have)

      for (let attempt = 1; ; attempt++) {
        const sent = yield* Effect.result(broadcast(req, gasLimit, fees))
        if (sent._tag === "Success") {
          try {
            req.onSubmitted?.(sent.success)
          } catch {
            // A progress callback must not turn a broadcast transaction into a failure.
          }
          return yield* waitReceipt(req, sent.success)
        }
        if (sent.failure._tag !== "SendFailed") return yield* sent.failure
        const cause = sent.failure.cause
        const kind = classifySendError(cause)
        const revert = revertFromError(cause, req.contract)
        if (revert && kind === "other") return yield* revert
        if (kind === "insufficient-funds") return yield* short(need, yield* balance)
        const retryable = kind === "underpriced" || (kind === "nonce" && req.nonce === undefined)
        if (!retryable || attempt >= maxAttempts) {
          return yield* new RpcError({ method: "eth_sendRawTransaction", cause })
        }
        // The nonce counter was already dropped by withNonce; bump fees so a same-nonce replacement is accepted.
        fees = bumpFees(fees, bumpPercent)
        yield* Effect.logDebug(`tx retry ${attempt}: ${kind}`)
      }
    })

    return TxEngine.of({ address: from, estimateGas, send })
  })
