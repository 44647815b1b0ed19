/**
 * Byte sources accepted everywhere in the browser-safe entry: bytes, Blob/File, a WHATWG ReadableStream or any
 * async iterable of byte chunks. Read piecewise so memory stays flat.
 */

export type ByteSource = Uint8Array | ArrayBuffer | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>

/** Read granularity for Blobs and for slicing large in-memory buffers (progress steps). */
export const READ_BLOCK = 4 * 1024 * 1024

const isBlob = (u: unknown): u is Blob =>
  typeof u === "object" &&
  u !== null &&
  typeof (u as Blob).arrayBuffer === "function" &&
  typeof (u as Blob).slice === "function" &&
  typeof (u as Blob).size === "number"

const isReadableStream = (u: unknown): u is ReadableStream<Uint8Array> =>
  typeof u === "object" && u !== null && typeof (u as ReadableStream).getReader === "function"

/** Total byte length when known up front. */
export const sourceSize = (src: ByteSource): number | undefined => {
  if (src instanceof Uint8Array || src instanceof ArrayBuffer) return src.byteLength
  if (isBlob(src)) return src.size
  return undefined
}

/** The source's bytes in order, as views that are only valid until the next iteration. */
export async function* readSource(src: ByteSource): AsyncGenerator<Uint8Array, void, undefined> {
  if (src instanceof ArrayBuffer) {
    yield* readSource(new Uint8Array(src))
    return
  }
  if (src instanceof Uint8Array) {
    for (let off = 0; off < src.length; off += READ_BLOCK) yield src.subarray(off, off + READ_BLOCK)
    return
  }
  if (isBlob(src)) {
    for (let off = 0; off < src.size; off += READ_BLOCK) {
      yield new Uint8Array(await src.slice(off, Math.min(src.size, off + READ_BLOCK)).arrayBuffer())
    }
    return
  }
  if (isReadableStream(src)) {
    const reader = src.getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        if (value.length > 0) yield value
      }
    } finally {
      reader.releaseLock()
    }
  }
  for await (const piece of src as AsyncIterable<Uint8Array>) if (piece.length > 0) yield piece
}
