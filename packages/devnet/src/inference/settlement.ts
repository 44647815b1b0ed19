/**
 * Settlement (inference-protocol.md §7, simplified as §13 allows): each round settles every user's unsettled fees
 * with `settleFeesWithTEE` from the provider wallet. Per user: the oldest whole requests the sub-account balance
 * covers; if not even the oldest fits, that one alone, and the contract takes min(fee, balance) (PARTIAL) — the rest
 * stays outstanding and is re-signed in a later round with a higher nonce. EIP-712 `TEESettlement` by the TEE key,
 * `requestsHash` as the broker computes it, `nonce > account.nonce`, ≤ 50 items per transaction. Rounds are
 * serialised, so settlement never races itself or its own nonces.
 */
import { contractInterfaces, type InferenceServingContract } from "@0g-compute/contracts"
import { waitForReceipt } from "@0g-compute/contracts/node"
import { requestsHash, teeSettlementTypedData } from "@0g-compute/crypto"
import { Result } from "effect"
import type { NonceManager, TransactionReceipt, Wallet } from "ethers"
import type { FeeLedger, FeeRecord } from "./billing.js"
import type { ChainView } from "./chain.js"
import type { SettlementItemResult, SettlementReport } from "./types.js"

/** The contract's cap on items per call (`TooManySettlements(n, 50)`). */
export const MAX_SETTLEMENTS_PER_TX = 50

export interface SettlerDeps {
  /** InferenceServing connected to the provider wallet (a NonceManager). */
  readonly contract: InferenceServingContract
  readonly wallet: NonceManager
  readonly chain: ChainView
  readonly chainId: bigint
  readonly contractAddress: string
  readonly provider: string
  readonly tee: Wallet
  readonly ledger: FeeLedger
  readonly now?: () => number
}

interface Item {
  readonly user: string
  readonly records: ReadonlyArray<FeeRecord>
  readonly nonce: bigint
  readonly totalFee: bigint
  readonly requestsHash: string
  readonly signature: string
}

const EMPTY: SettlementReport = { items: [], txHashes: [], settled: 0n }

export interface Settler {
  readonly settleNow: () => Promise<SettlementReport>
  /** Resolves once no round is running (used by stop). */
  readonly idle: () => Promise<void>
}

export const makeSettler = (deps: SettlerDeps): Settler => {
  const now = deps.now ?? Date.now

  const prepare = async (user: string, records: ReadonlyArray<FeeRecord>): Promise<Item | undefined> => {
    const account = await deps.chain.account(user)
    // A missing account (the contract answers INVALID_SIGNATURE) or an empty one has nothing to settle against.
    if (account === undefined || account.balance === 0n) return undefined
    const chosen: FeeRecord[] = []
    let total = 0n
    for (const r of records) {
      if (total + r.outstanding > account.balance) break
      chosen.push(r)
      total += r.outstanding
    }
    const first = records[0]
    if (chosen.length === 0 && first !== undefined) {
      chosen.push(first)
      total = first.outstanding
    }
    // The broker's nonce is unix_s × 10^7; two rounds in one second still need a strictly greater one.
    const byClock = BigInt(Math.floor(now() / 1000)) * 10_000_000n
    const nonce = byClock > account.nonce ? byClock : account.nonce + 1n
    const hash = requestsHash(
      chosen.map((r) => ({
        requestHash: r.requestHash,
        userAddress: r.user,
        fee: r.outstanding,
        inputFee: r.inputFee,
        outputFee: r.outputFee,
      })),
    )
    const typed = Result.getOrThrow(
      teeSettlementTypedData({
        chainId: deps.chainId,
        verifyingContract: deps.contractAddress,
        requestsHash: hash,
        nonce,
        provider: deps.provider,
        user,
        totalFee: total,
      }),
    )
    const signature = await deps.tee.signTypedData(typed.domain, typed.types, typed.message)
    return { user, records: chosen, nonce, totalFee: total, requestsHash: hash, signature }
  }

  const send = async (batch: ReadonlyArray<Item>): Promise<SettlementItemResult[]> => {
    let receipt: TransactionReceipt
    try {
      const tx = await deps.contract.settleFeesWithTEE(
        batch.map((i) => ({
          user: i.user,
          provider: deps.provider,
          totalFee: i.totalFee,
          requestsHash: i.requestsHash,
          nonce: i.nonce,
          signature: i.signature,
        })),
      )
      receipt = await waitForReceipt(tx.provider, tx.hash)
    } catch (e) {
      // Someone else may have used the provider wallet: re-read its nonce next time.
      deps.wallet.reset()
      throw e
    }
    if (receipt.status !== 1) throw new Error("settleFeesWithTEE transaction failed")
    const results: Array<{ user: string; status: number; unsettledAmount: bigint }> = []
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== deps.contractAddress.toLowerCase()) continue
      const parsed = contractInterfaces.InferenceServing.parseLog(log)
      if (parsed?.name !== "TEESettlementResult") continue
      results.push({
        user: parsed.args[0] as string,
        status: Number(parsed.args[1]),
        unsettledAmount: parsed.args[2] as bigint,
      })
    }
    // One event per item, in input order (contracts.md §8.1).
    return batch.map((item, i) => {
      const r = results[i]
      const status = r?.status ?? -1
      const unsettledAmount = r?.unsettledAmount ?? item.totalFee
      const settledAmount = status === 0 || status === 1 ? item.totalFee - unsettledAmount : 0n
      if (settledAmount > 0n) deps.ledger.applySettled(item.user, item.records, settledAmount)
      return {
        user: item.user,
        nonce: item.nonce,
        totalFee: item.totalFee,
        status,
        unsettledAmount,
        settledAmount,
        requests: item.records.length,
        txHash: receipt.hash,
      }
    })
  }

  const round = async (): Promise<SettlementReport> => {
    const pending = deps.ledger.pending()
    if (pending.length === 0) return EMPTY
    const items: Item[] = []
    for (const { user, records } of pending) {
      const item = await prepare(user, records)
      if (item !== undefined) items.push(item)
    }
    const results: SettlementItemResult[] = []
    const txHashes: string[] = []
    for (let i = 0; i < items.length; i += MAX_SETTLEMENTS_PER_TX) {
      const done = await send(items.slice(i, i + MAX_SETTLEMENTS_PER_TX))
      results.push(...done)
      if (done[0] !== undefined) txHashes.push(done[0].txHash)
    }
    return { items: results, txHashes, settled: results.reduce((n, r) => n + r.settledAmount, 0n) }
  }

  let tail: Promise<unknown> = Promise.resolve()
  return {
    settleNow: () => {
      const run = tail.then(round, round)
      tail = run.catch(() => undefined)
      return run
    },
    idle: () => tail.then(() => undefined),
  }
}
