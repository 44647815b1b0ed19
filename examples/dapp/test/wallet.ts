/**
 * A test wallet behind `window.ethereum`: the page sees a plain EIP-1193 provider; every request crosses into the test
 * process (playwright's exposeFunction), where an ethers Wallet on a devnet test key signs and sends over the devnet
 * RPC. The key never enters the page. Like a browser extension wallet it broadcasts itself (no eth_signTransaction).
 */
import { getBytes, JsonRpcProvider, type TransactionRequest, type TypedDataField, Wallet } from "ethers"
import type { Page } from "playwright-core"

type Reply = { readonly result: unknown } | { readonly error: { readonly code: number; readonly message: string } }

export interface TestWallet {
  readonly address: string
  /** Every method the page asked for, in order. */
  readonly calls: string[]
  readonly close: () => void
}

const hex = (v: unknown) => (typeof v === "string" ? BigInt(v) : undefined)

/** eth_sendTransaction's JSON-RPC object → an ethers request (hex quantities, numeric type and nonce). */
const fromRpc = (tx: Record<string, unknown>): TransactionRequest => {
  const out: Record<string, unknown> = { to: tx.to, data: tx.data, value: hex(tx.value) ?? 0n }
  if (tx.gas !== undefined) out.gasLimit = hex(tx.gas)
  if (tx.nonce !== undefined) out.nonce = Number(hex(tx.nonce))
  if (tx.gasPrice !== undefined) out.gasPrice = hex(tx.gasPrice)
  if (tx.maxFeePerGas !== undefined) out.maxFeePerGas = hex(tx.maxFeePerGas)
  if (tx.maxPriorityFeePerGas !== undefined) out.maxPriorityFeePerGas = hex(tx.maxPriorityFeePerGas)
  if (tx.type !== undefined) out.type = Number(hex(tx.type))
  return out as TransactionRequest
}

export const installTestWallet = async (page: Page, rpcUrl: string, privateKey: string): Promise<TestWallet> => {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true })
  const wallet = new Wallet(privateKey, provider)
  const calls: string[] = []
  const handle = async (method: string, params: unknown[]): Promise<unknown> => {
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return [wallet.address]
      case "personal_sign":
        return wallet.signMessage(getBytes(params[0] as string))
      case "eth_signTypedData_v4": {
        const data = JSON.parse(params[1] as string) as {
          domain: Record<string, unknown>
          types: Record<string, TypedDataField[]>
          message: Record<string, unknown>
        }
        const { EIP712Domain: _, ...types } = data.types
        return wallet.signTypedData(data.domain, types, data.message)
      }
      case "eth_sendTransaction":
        return (await wallet.sendTransaction(fromRpc(params[0] as Record<string, unknown>))).hash
      case "eth_signTransaction":
      case "eth_sign":
        throw Object.assign(new Error(`The method ${method} does not exist / is not available`), { code: 4200 })
      default:
        return provider.send(method, params)
    }
  }
  await page.exposeFunction("__zgTestWallet", async (method: string, params: unknown[]): Promise<Reply> => {
    calls.push(method)
    try {
      return { result: await handle(method, params) }
    } catch (e) {
      const code = typeof (e as { code?: unknown }).code === "number" ? (e as { code: number }).code : -32603
      return { error: { code, message: e instanceof Error ? e.message : String(e) } }
    }
  })
  await page.addInitScript(() => {
    ;(window as unknown as { ethereum: unknown }).ethereum = {
      request: async ({ method, params }: { method: string; params?: unknown[] }) => {
        const bridge = (window as unknown as { __zgTestWallet: (m: string, p: unknown[]) => Promise<Reply> })
          .__zgTestWallet
        const reply = await bridge(method, params ?? [])
        if ("error" in reply) throw Object.assign(new Error(reply.error.message), { code: reply.error.code })
        return reply.result
      },
      on: () => undefined,
      removeListener: () => undefined,
    }
  })
  return { address: wallet.address, calls, close: () => provider.destroy() }
}
