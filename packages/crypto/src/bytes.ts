/** Byte helpers shared by the modules: strict hex parsing (typed error), UTF-8, concatenation. */
import { joinBytes, MalformedData } from "@0g-compute/core"
import { Result } from "effect"
import { hexlify } from "ethers"

/** Bytes or 0x-prefixed hex. */
export type BytesLike = Uint8Array | string

const HEX = /^0x([0-9a-fA-F]{2})*$/

/** Parses 0x-hex (or passes bytes through), optionally requiring an exact length. */
export const parseBytes = (
  what: string,
  input: BytesLike,
  length?: number,
): Result.Result<Uint8Array, MalformedData> => {
  let bytes: Uint8Array
  if (typeof input === "string") {
    if (!HEX.test(input)) return Result.fail(new MalformedData({ what, detail: "expected 0x-prefixed hex bytes" }))
    bytes = new Uint8Array((input.length - 2) / 2)
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(input.slice(2 + 2 * i, 4 + 2 * i), 16)
  } else {
    bytes = input
  }
  if (length !== undefined && bytes.length !== length) {
    return Result.fail(new MalformedData({ what, detail: `expected ${length} bytes, got ${bytes.length}` }))
  }
  return Result.succeed(bytes)
}

/** Lower-case 0x-hex. */
export const toHex = (bytes: Uint8Array): string => hexlify(bytes)

/** Lower-case hex without prefix. */
export const toPlainHex = (bytes: Uint8Array): string => hexlify(bytes).slice(2)

const encoder = new TextEncoder()
export const utf8 = (text: string): Uint8Array => encoder.encode(text)

/** Strict UTF-8 decoding: invalid sequences throw instead of becoming U+FFFD. */
export const decodeUtf8 = (bytes: Uint8Array): string => new TextDecoder("utf-8", { fatal: true }).decode(bytes)

/** The parts in one new array (a copy even of a single part, unlike core's `joinBytes`). */
export const concatBytes = (...parts: ReadonlyArray<Uint8Array>): Uint8Array =>
  parts.length === 1 ? (parts[0] as Uint8Array).slice() : joinBytes(parts)

/** Bytes of a string-or-bytes body: strings are taken as UTF-8 text (not hex). */
export const bodyBytes = (body: Uint8Array | string): Uint8Array => (typeof body === "string" ? utf8(body) : body)
