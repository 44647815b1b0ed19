/**
 * AES-256-GCM per chunk. WebCrypto (`globalThis.crypto.subtle`, native in browsers and Node) is ~20× faster than
 * pure JS on 64 MiB chunks; @noble/ciphers is the fallback where SubtleCrypto is missing (insecure browser
 * contexts). Both produce ciphertext ‖ 16-byte tag.
 */
import { gcm } from "@noble/ciphers/aes.js"

export interface AesGcmChunkCipher {
  readonly encrypt: (iv: Uint8Array, plaintext: Uint8Array) => Promise<Uint8Array>
  /** `undefined` when authentication fails. */
  readonly decrypt: (iv: Uint8Array, sealed: Uint8Array) => Promise<Uint8Array | undefined>
}

export type AesGcmBackend = "webcrypto" | "noble"

const subtle = (): SubtleCrypto | undefined => (globalThis as { crypto?: Crypto }).crypto?.subtle

export const defaultAesGcmBackend = (): AesGcmBackend => (subtle() === undefined ? "noble" : "webcrypto")

// WebCrypto wants ArrayBuffer-backed views; copy only when handed a SharedArrayBuffer view.
const asBufferSource = (u: Uint8Array): Uint8Array<ArrayBuffer> =>
  u.buffer instanceof ArrayBuffer ? (u as Uint8Array<ArrayBuffer>) : new Uint8Array(u)

/** Imports a 32-byte key once for many chunks. The caller validates the key length. */
export const makeAesGcmCipher = async (
  key: Uint8Array,
  backend: AesGcmBackend = defaultAesGcmBackend(),
): Promise<AesGcmChunkCipher> => {
  const s = subtle()
  if (backend === "webcrypto" && s !== undefined) {
    const k = await s.importKey("raw", asBufferSource(key), { name: "AES-GCM" }, false, ["encrypt", "decrypt"])
    return {
      encrypt: async (iv, plaintext) =>
        new Uint8Array(await s.encrypt({ name: "AES-GCM", iv: asBufferSource(iv) }, k, asBufferSource(plaintext))),
      decrypt: async (iv, sealed) => {
        try {
          return new Uint8Array(await s.decrypt({ name: "AES-GCM", iv: asBufferSource(iv) }, k, asBufferSource(sealed)))
        } catch {
          return undefined
        }
      },
    }
  }
  const rawKey = Uint8Array.from(key)
  return {
    encrypt: async (iv, plaintext) => gcm(rawKey, iv).encrypt(plaintext),
    decrypt: async (iv, sealed) => {
      try {
        return gcm(rawKey, iv).decrypt(sealed)
      } catch {
        return undefined
      }
    },
  }
}
