/** Runtime fault switches and the byte flip they apply to response chunks. */
import { HostileObserver } from "./hostile.js"
import type { FaultSwitches, InferenceFaults } from "./types.js"

export const makeFaultSwitches = (): FaultSwitches => {
  let current: InferenceFaults = {}
  return {
    hostile: new HostileObserver(),
    current: () => current,
    set: (faults) => {
      current = { ...current, ...faults }
    },
    clear: () => {
      current = {}
    },
  }
}

const CONTENT = new TextEncoder().encode('"content":"')
const isAlnum = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)

const indexOf = (hay: Uint8Array, needle: Uint8Array, from: number): number => {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}

/**
 * A copy of `chunk` with one byte of generated text flipped (XOR 1), or undefined if the chunk carries no text.
 * An ASCII letter or digit XOR 1 is still a plain printable character, so the JSON stays parseable and only the
 * content changes: the client must notice through the response hash, not through a parse error.
 */
export const flipContentByte = (chunk: Uint8Array): Uint8Array | undefined => {
  for (let at = indexOf(chunk, CONTENT, 0); at >= 0; at = indexOf(chunk, CONTENT, at + 1)) {
    for (let i = at + CONTENT.length; i < chunk.length && chunk[i] !== 0x22; i++) {
      if (isAlnum(chunk[i] ?? 0)) return flipAt(chunk, i)
    }
  }
  return undefined
}

/** Last resort when no chunk carried text: flip the last letter or digit anywhere. */
export const flipAnyByte = (chunk: Uint8Array): Uint8Array => {
  for (let i = chunk.length - 1; i >= 0; i--) if (isAlnum(chunk[i] ?? 0)) return flipAt(chunk, i)
  return chunk.length === 0 ? chunk : flipAt(chunk, chunk.length - 1)
}

const flipAt = (chunk: Uint8Array, i: number): Uint8Array => {
  const copy = chunk.slice()
  copy[i] = (copy[i] ?? 0) ^ 1
  return copy
}
