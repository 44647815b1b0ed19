/**
 * A raw inference client for tests: ethers + @0g-compute/crypto used directly, the way any client would (the real
 * client package is separate), to reach the emulated provider with requests a correct client would never send.
 */
import { inferenceServing, ledgerManager } from "@0g-compute/contracts"
import { INFERENCE_SERVICE_NAME, minedReceipt } from "@0g-compute/contracts/node"
import { makeRpcProvider } from "@0g-compute/core"
import {
  type CreateSessionTokenParams,
  issueSessionToken,
  type ResponseVerdict,
  type ResponseVerifyError,
  type SessionToken,
  type SignedSessionToken,
  signSessionToken,
  verifyResponseSignature,
} from "@0g-compute/crypto"
import { Effect, Redacted, type Result } from "effect"
import { type ContractTransactionResponse, getAddress, NonceManager, parseEther, Wallet } from "ethers"
import type { DevnetAccount } from "../accounts.js"
import type { Devnet } from "../devnet.js"

export const E = (n: string | number): bigint => parseEther(String(n))

export type Rpc = ReturnType<typeof makeRpcProvider>
export const rpcOf = (devnet: Devnet): Rpc => makeRpcProvider(devnet.rpcUrl, devnet.chainId)

export const signer = (account: DevnetAccount, rpc: Rpc): NonceManager =>
  new NonceManager(new Wallet(Redacted.value(account.privateKey), rpc))

export const mined = (tx: Promise<ContractTransactionResponse>) => minedReceipt(tx)

/** Creates the user's ledger when missing (10 0G) and transfers `amount` to the provider's sub-account of `service`. */
export const fund = async (
  devnet: Devnet,
  user: NonceManager,
  provider: string,
  amount: bigint,
  service: string = INFERENCE_SERVICE_NAME,
): Promise<void> => {
  const ledger = ledgerManager(devnet.addresses.ledger, user)
  const exists = await ledger.getLedger(await user.getAddress()).then(
    () => true,
    () => false,
  )
  if (!exists) await mined(ledger.addLedger("", { value: E(10) }))
  await mined(ledger.transferFund(provider, service, amount))
}

export const serving = (devnet: Devnet, runner: Rpc | NonceManager) =>
  inferenceServing(devnet.addresses.inference, runner)

export const token = (
  user: NonceManager,
  provider: string,
  params: Omit<CreateSessionTokenParams, "address" | "provider"> = {},
) => Effect.runPromise(issueSessionToken(user, { provider, ...params }))

/** Signs any token object as is (no lifetime rules): for tokens a correct client would never make. */
export const craftToken = async (user: NonceManager, fields: Partial<SessionToken> & { provider: string }) => {
  const now = Date.now()
  const t: SessionToken = {
    address: getAddress(await user.getAddress()),
    timestamp: now,
    expiresAt: now + 3_600_000,
    nonce: "0123456789abcdef0123456789abcdef",
    generation: 0,
    tokenId: 255,
    ...fields,
  }
  return Effect.runPromise(signSessionToken(t, user))
}

export interface Exchange {
  readonly status: number
  readonly headers: Headers
  readonly requestBytes: string
  readonly bytes: Uint8Array
  readonly text: string
  readonly chatId: string | null
}

export const chat = async (
  url: string,
  auth: SignedSessionToken | string | undefined,
  body: unknown,
  path = "/v1/proxy/chat/completions",
): Promise<Exchange> => {
  const requestBytes = typeof body === "string" ? body : JSON.stringify(body)
  const headers: Record<string, string> = { "content-type": "application/json" }
  if (auth !== undefined) headers.authorization = typeof auth === "string" ? auth : auth.authorization
  const res = await fetch(`${url}${path}`, { method: "POST", headers, body: requestBytes })
  const bytes = new Uint8Array(await res.arrayBuffer())
  return {
    status: res.status,
    headers: res.headers,
    requestBytes,
    bytes,
    text: new TextDecoder().decode(bytes),
    chatId: res.headers.get("zg-res-key"),
  }
}

export const getJson = async (url: string, authorization?: string) => {
  const res = await fetch(url, authorization === undefined ? {} : { headers: { authorization } })
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> }
}

export const signatureOf = (url: string, chatId: string | null) =>
  getJson(`${url}/v1/proxy/signature/${chatId ?? "none"}`)

/** Fetches the signature and verifies it against `expectedSigner` over the exact bytes (crypto's verifier). */
export const verify = async (
  url: string,
  ex: Exchange,
  expectedSigner: string,
  requestBytes: string = ex.requestBytes,
): Promise<Result.Result<ResponseVerdict, ResponseVerifyError>> => {
  const sig = await signatureOf(url, ex.chatId)
  const signed = sig.status === 200 ? (sig.body as { text: string; signature: string }) : undefined
  return verifyResponseSignature({
    request: requestBytes,
    response: ex.bytes,
    signed,
    expectedSigner,
    ...(ex.chatId === null ? {} : { chatId: ex.chatId }),
  })
}

/** The JSON payloads of an SSE body, `[DONE]` excluded. */
export const sseChunks = (text: string): Array<Record<string, unknown>> =>
  text
    .split("\n\n")
    .map((e) => e.trim())
    .filter((e) => e.startsWith("data: ") && e !== "data: [DONE]")
    .map((e) => JSON.parse(e.slice(6)) as Record<string, unknown>)

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
