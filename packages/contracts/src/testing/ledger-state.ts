/**
 * Independent view of everything money-related for one user, read straight from the contracts with the typed
 * clients (not through the `Ledger` service under test). Used to prove failed operations move nothing.
 */
import { fineTuningServing, inferenceServing, ledgerManager } from "../clients.js"
import type { Devnet } from "./devnet.js"

export interface MoneyState {
  readonly nonce: number
  readonly wallet: bigint
  readonly ledger: { readonly total: bigint; readonly available: bigint } | null
  /** provider → sub-account balance (inference and fine-tuning), absent when there is no sub-account. */
  readonly inference: Readonly<Record<string, bigint>>
  readonly fineTuning: Readonly<Record<string, bigint>>
  /** ETH held by the three contracts. */
  readonly contracts: readonly [bigint, bigint, bigint]
}

export const moneyState = async (devnet: Devnet, user: string, providers: readonly string[]): Promise<MoneyState> => {
  const p = devnet.provider
  const lm = ledgerManager(devnet.addrs.ledger, p)
  const inf = inferenceServing(devnet.addrs.inference, p)
  const ft = fineTuningServing(devnet.addrs.fineTuning, p)
  const ledger = await lm.getLedger
    .staticCall(user)
    .then((l) => ({ total: l.totalBalance, available: l.availableBalance }))
    .catch(() => null)
  const inference: Record<string, bigint> = {}
  const fineTuning: Record<string, bigint> = {}
  for (const provider of providers) {
    if (await inf.accountExists(user, provider)) inference[provider] = (await inf.getAccount(user, provider)).balance
    if (await ft.accountExists(user, provider)) fineTuning[provider] = (await ft.getAccount(user, provider)).balance
  }
  return {
    nonce: await p.getTransactionCount(user, "pending"),
    wallet: await p.getBalance(user),
    ledger,
    inference,
    fineTuning,
    contracts: [
      await p.getBalance(devnet.addrs.ledger),
      await p.getBalance(devnet.addrs.inference),
      await p.getBalance(devnet.addrs.fineTuning),
    ],
  }
}
