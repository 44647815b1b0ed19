import { JsonRpcApiProvider, type Provider, type TransactionReceipt, type TransactionResponse } from "ethers"

/**
 * Waits for `hash` to be mined by asking for its receipt, backing off from 2 ms to 50 ms.
 *
 * Not `tx.wait()`: ethers checks the receipt, then starts a block poller whose first poll only records the current
 * height. A transaction mined between the two is never seen until a later block, and an idle automining devnet makes
 * no later block, so the wait hangs (a contracts test did, once, on a loaded CI machine). A JSON-RPC provider is asked
 * raw until the receipt exists, because ethers caches a "not yet" answer for up to `cacheTimeout` (250 ms by default).
 */
export async function waitForReceipt(
  provider: Provider,
  hash: string,
  options: { readonly timeoutMs?: number } = {},
): Promise<TransactionReceipt> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000)
  let delay = 2
  const raw = provider instanceof JsonRpcApiProvider ? provider : undefined
  for (;;) {
    const exists = raw === undefined || (await raw.send("eth_getTransactionReceipt", [hash])) !== null
    const receipt = exists ? await provider.getTransactionReceipt(hash) : null
    if (receipt !== null) return receipt
    if (Date.now() > deadline) throw new Error(`no receipt for transaction ${hash}`)
    await new Promise((resolve) => setTimeout(resolve, delay))
    delay = Math.min(delay * 2, 50)
  }
}

/** Awaits a sent transaction's receipt and throws unless it succeeded; `what` names it in the error. */
export async function minedReceipt(
  sent: TransactionResponse | Promise<TransactionResponse>,
  what = "transaction",
): Promise<TransactionReceipt> {
  const tx = await sent
  const receipt = await waitForReceipt(tx.provider, tx.hash)
  if (receipt.status !== 1) throw new Error(`${what} ${tx.hash} reverted`)
  return receipt
}
