/**
 * Byte helpers for the browser-safe entry: hex and base64 without `Buffer` (used when present, for speed).
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))

/** Lower-case `0x`-prefixed hex. */
export const toHex = (bytes: Uint8Array): `0x${string}` => {
  let s = "0x"
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] as number]
  return s as `0x${string}`
}

const hexNibble = (c: number): number => {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/** Parses `0x`-prefixed (or bare) hex; undefined when malformed or not `expectedLength` bytes long. */
export const fromHex = (hex: string, expectedLength?: number): Uint8Array | undefined => {
  const body = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex
  if (body.length % 2 !== 0) return undefined
  const out = new Uint8Array(body.length / 2)
  for (let i = 0; i < out.length; i++) {
    const hi = hexNibble(body.charCodeAt(2 * i))
    const lo = hexNibble(body.charCodeAt(2 * i + 1))
    if (hi < 0 || lo < 0) return undefined
    out[i] = (hi << 4) | lo
  }
  if (expectedLength !== undefined && out.length !== expectedLength) return undefined
  return out
}

/** True when the 32-byte digests (or any two byte strings) are equal. */
export const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

interface NodeBuffer {
  from(data: ArrayBufferLike, offset: number, length: number): { toString(enc: "base64"): string }
  from(data: string, enc: "base64"): Uint8Array
}
const NodeBufferCtor: NodeBuffer | undefined = (globalThis as { Buffer?: NodeBuffer }).Buffer

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
const B64_INDEX = (() => {
  const t = new Int16Array(128).fill(-1)
  for (let i = 0; i < B64.length; i++) t[B64.charCodeAt(i)] = i
  return t
})()

/** Standard-alphabet, `=`-padded base64. */
export const toBase64 = (bytes: Uint8Array): string =>
  NodeBufferCtor
    ? NodeBufferCtor.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")
    : encodeBase64(bytes)

/** The portable encoder behind {@link toBase64} (exported for tests). */
export const encodeBase64 = (bytes: Uint8Array): string => {
  const parts: string[] = []
  const step = 3 * 4096
  for (let start = 0; start < bytes.length; start += step) {
    const end = Math.min(bytes.length, start + step)
    let s = ""
    let i = start
    for (; i + 3 <= end; i += 3) {
      const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number)
      s += B64.charAt(n >> 18) + B64.charAt((n >> 12) & 63) + B64.charAt((n >> 6) & 63) + B64.charAt(n & 63)
    }
    const rest = end - i
    if (rest === 1) {
      const n = (bytes[i] as number) << 16
      s += `${B64.charAt(n >> 18)}${B64.charAt((n >> 12) & 63)}==`
    } else if (rest === 2) {
      const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8)
      s += `${B64.charAt(n >> 18)}${B64.charAt((n >> 12) & 63)}${B64.charAt((n >> 6) & 63)}=`
    }
    parts.push(s)
  }
  return parts.join("")
}

/** Strict standard base64 decode; undefined when malformed. */
export const fromBase64 = (text: string): Uint8Array | undefined => {
  if (text.length % 4 !== 0) return undefined
  const pad = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0
  const expected = (text.length / 4) * 3 - pad
  if (NodeBufferCtor) {
    // Buffer skips characters outside the alphabet, so any such character shows up as a short result.
    const b = NodeBufferCtor.from(text, "base64")
    return b.byteLength === expected ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : undefined
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined
  return decodeBase64(text)
}

/** The portable decoder behind {@link fromBase64} (exported for tests; input already validated). */
export const decodeBase64 = (text: string): Uint8Array => {
  const pad = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0
  const out = new Uint8Array((text.length / 4) * 3 - pad)
  let o = 0
  for (let i = 0; i < text.length; i += 4) {
    const a = B64_INDEX[text.charCodeAt(i)] as number
    const b = B64_INDEX[text.charCodeAt(i + 1)] as number
    const c = text[i + 2] === "=" ? 0 : (B64_INDEX[text.charCodeAt(i + 2)] as number)
    const d = text[i + 3] === "=" ? 0 : (B64_INDEX[text.charCodeAt(i + 3)] as number)
    const n = (a << 18) | (b << 12) | (c << 6) | d
    if (o < out.length) out[o++] = n >> 16
    if (o < out.length) out[o++] = (n >> 8) & 255
    if (o < out.length) out[o++] = n & 255
  }
  return out
}

/** Pairs of base64 characters for every 12-bit value (encoder table). */
const B64_PAIRS = (() => {
  const t = new Uint16Array(4096)
  for (let i = 0; i < 4096; i++) t[i] = (B64.charCodeAt(i >> 6) << 8) | B64.charCodeAt(i & 63)
  return t
})()

/**
 * Writes standard, `=`-padded base64 of `src` as ASCII bytes into `dst` at `offset` (no intermediate string).
 * Returns the offset after the last byte written. `dst` must have room for `4 * ceil(src.length / 3)` bytes.
 */
export const base64Into = (src: Uint8Array, dst: Uint8Array, offset: number): number => {
  let o = offset
  let i = 0
  const whole = src.length - (src.length % 3)
  for (; i < whole; i += 3) {
    const n = ((src[i] as number) << 16) | ((src[i + 1] as number) << 8) | (src[i + 2] as number)
    const hi = B64_PAIRS[n >> 12] as number
    const lo = B64_PAIRS[n & 4095] as number
    dst[o] = hi >> 8
    dst[o + 1] = hi & 255
    dst[o + 2] = lo >> 8
    dst[o + 3] = lo & 255
    o += 4
  }
  const rest = src.length - whole
  if (rest > 0) {
    const n = ((src[i] as number) << 16) | (rest === 2 ? (src[i + 1] as number) << 8 : 0)
    dst[o] = B64.charCodeAt(n >> 18)
    dst[o + 1] = B64.charCodeAt((n >> 12) & 63)
    dst[o + 2] = rest === 2 ? B64.charCodeAt((n >> 6) & 63) : 61
    dst[o + 3] = 61
    o += 4
  }
  return o
}
