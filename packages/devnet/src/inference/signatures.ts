/**
 * Response signatures (inference-protocol.md §4.2, §9.1): personal_sign of `sha256(req):sha256(res)` by the TEE key,
 * kept 20 minutes per chat id for `GET /v1/proxy/signature/{chatID}`.
 */
import { getAddress, id, Wallet } from "ethers"

/** The broker's `chatCacheExpiration`. */
export const SIGNATURE_TTL_MS = 20 * 60 * 1000

export interface SignaturePayload {
  readonly text: string
  readonly signature: string
  readonly signing_address: string
  readonly signing_algo: "ecdsa"
}

/** A fixed key that is never anyone's TEE signer: what the `wrongSigner` fault signs with. */
const IMPOSTOR = new Wallet(id("0g devnet inference emulator: wrong signer fault"))

export const signResponse = async (tee: Wallet, text: string, wrongSigner: boolean): Promise<SignaturePayload> => {
  const key = wrongSigner ? IMPOSTOR : tee
  return {
    text,
    signature: await key.signMessage(text),
    signing_address: getAddress(key.address),
    signing_algo: "ecdsa",
  }
}

export class SignatureCache {
  private readonly entries = new Map<string, { readonly payload: SignaturePayload; readonly expiresAt: number }>()

  constructor(private readonly now: () => number = Date.now) {}

  put(chatId: string, payload: SignaturePayload): void {
    const now = this.now()
    // Map order is insertion order and every entry lives equally long: expired ones are at the front.
    for (const [k, v] of this.entries) {
      if (v.expiresAt > now) break
      this.entries.delete(k)
    }
    this.entries.set(chatId.toLowerCase(), { payload, expiresAt: now + SIGNATURE_TTL_MS })
  }

  get(chatId: string): SignaturePayload | undefined {
    const e = this.entries.get(chatId.toLowerCase())
    return e !== undefined && e.expiresAt > this.now() ? e.payload : undefined
  }
}
