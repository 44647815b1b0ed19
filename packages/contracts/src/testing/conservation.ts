/**
 * The money-conservation check of the fault tests: what a user holds (wallet + ledger + sub-accounts) plus every fee
 * their mined transactions paid is the same before and after, to the neuron. Fees are summed from the receipts of
 * every transaction from the user in the blocks since the start, found by scanning the chain, not by trusting what
 * the code under test reported.
 */

import type { Devnet } from "./devnet.js"
import { moneyState } from "./ledger-state.js"

export interface MoneyMark {
  readonly block: number
  readonly held: bigint
}

const heldBy = async (devnet: Devnet, user: string, providers: readonly string[]) => {
  const s = await moneyState(devnet, user, providers)
  const subs = [...Object.values(s.inference), ...Object.values(s.fineTuning)].reduce((a, b) => a + b, 0n)
  return s.wallet + (s.ledger?.total ?? 0n) + subs
}

export const markMoney = async (
  devnet: Devnet,
  user: string,
  providers: readonly string[] = [],
): Promise<MoneyMark> => ({
  block: await devnet.provider.getBlockNumber(),
  held: await heldBy(devnet, user, providers),
})

/** Hashes and total fee of the user's transactions mined after `fromBlock`. */
export const minedSince = async (devnet: Devnet, user: string, fromBlock: number) => {
  const latest = await devnet.provider.getBlockNumber()
  const hashes: string[] = []
  let fees = 0n
  for (let n = fromBlock + 1; n <= latest; n++) {
    const block = await devnet.provider.getBlock(n, true)
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (tx.from.toLowerCase() !== user.toLowerCase()) continue
      const receipt = await devnet.provider.getTransactionReceipt(tx.hash)
      if (receipt === null) throw new Error(`no receipt for mined ${tx.hash}`)
      hashes.push(tx.hash)
      fees += receipt.gasUsed * receipt.gasPrice
    }
  }
  return { hashes, fees }
}

/** held(now) + fees paid since the mark − held(mark): zero when no neuron was created or lost. */
export const conservationGap = async (
  devnet: Devnet,
  user: string,
  mark: MoneyMark,
  providers: readonly string[] = [],
) => {
  const { fees } = await minedSince(devnet, user, mark.block)
  return (await heldBy(devnet, user, providers)) + fees - mark.held
}
