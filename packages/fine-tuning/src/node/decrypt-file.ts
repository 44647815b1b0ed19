/**
 * Streaming model decryption with small, fixed memory: Node's AES-256-GCM decipher fed 4 MiB at a time instead of
 * whole 64 MiB chunks (WebCrypto needs a chunk in one piece and copies it, which costs several hundred MB of RSS).
 *
 * Safety order (fine-tuning-protocol.md §9.2): the tag signature over all chunk tags is checked first, without the
 * key; plaintext then goes only to a temp file in the output directory; each chunk's GCM tag (the one the signature
 * covered) must authenticate; only then is the temp file renamed to the output. Any failure deletes it.
 */
import { createDecipheriv, randomBytes } from "node:crypto"
import { type FileHandle, open, rename, unlink } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import {
  chunkIv,
  GCM_TAG_LENGTH,
  MODEL_CHUNK_SIZE,
  MODEL_HEADER_LENGTH,
  modelFileLayout,
  modelTagsDigest,
  TAG_SIGNATURE_LENGTH,
  verifyModelTagSignature,
} from "@0g-compute/crypto"
import { Data, Effect, Redacted } from "effect"
import { LocalFileError } from "../errors.js"

const PIECE = 4 * 1024 * 1024

/** Why a file was refused; mapped to the package's typed errors by the caller. */
export type DecryptRefusal =
  | { readonly kind: "malformed"; readonly reason: string }
  | { readonly kind: "signature"; readonly recovered: string }
  | { readonly kind: "chunk"; readonly index: number; readonly count: number }

export class DecryptRefused extends Data.TaggedError("DecryptRefused")<{ readonly refusal: DecryptRefusal }> {}

export interface DecryptFileOptions {
  readonly key: Redacted.Redacted<Uint8Array>
  readonly expectedSigner: string
  readonly chunkSize?: number
  readonly onProgress?: (p: { readonly bytesDone: number; readonly bytesTotal: number }) => void
}

const readExact = async (fh: FileHandle, buf: Uint8Array, length: number, position: number) => {
  let done = 0
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done)
    if (bytesRead === 0)
      throw new DecryptRefused({ refusal: { kind: "malformed", reason: `file ended at byte ${position + done}` } })
    done += bytesRead
  }
  return buf.subarray(0, length)
}

const decryptToTemp = async (input: FileHandle, size: number, tempPath: string, o: DecryptFileOptions) => {
  const layout = await Effect.runPromise(Effect.result(modelFileLayout(size, o.chunkSize ?? MODEL_CHUNK_SIZE)))
  if (layout._tag === "Failure")
    throw new DecryptRefused({ refusal: { kind: "malformed", reason: layout.failure.reason } })
  const l = layout.success
  const header = Uint8Array.from(await readExact(input, new Uint8Array(MODEL_HEADER_LENGTH), MODEL_HEADER_LENGTH, 0))
  const tags: Array<Uint8Array> = []
  for (let i = 0; i < l.chunkCount; i++) {
    const at = l.chunkOffset(i) + l.chunkLength(i) - GCM_TAG_LENGTH
    tags.push(Uint8Array.from(await readExact(input, new Uint8Array(GCM_TAG_LENGTH), GCM_TAG_LENGTH, at)))
  }
  const signature = header.subarray(0, TAG_SIGNATURE_LENGTH)
  const check = await Effect.runPromise(
    Effect.result(verifyModelTagSignature(signature, modelTagsDigest(tags), o.expectedSigner, l.chunkCount)),
  )
  if (check._tag === "Failure") {
    const f = check.failure
    const recovered = f._tag === "ModelTagSignatureMismatch" ? f.recovered : "none"
    throw new DecryptRefused({ refusal: { kind: "signature", recovered } })
  }
  const iv0 = header.subarray(TAG_SIGNATURE_LENGTH)
  // Fixed-size pieces over all chunks; the next piece is read while the current one is decrypted and written.
  const pieces: Array<{ readonly chunk: number; readonly at: number; readonly n: number; readonly last: boolean }> = []
  for (let i = 0; i < l.chunkCount; i++) {
    const cipherLength = l.chunkLength(i) - GCM_TAG_LENGTH
    for (let done = 0; done < cipherLength; done += PIECE) {
      const n = Math.min(PIECE, cipherLength - done)
      pieces.push({ chunk: i, at: l.chunkOffset(i) + done, n, last: done + n === cipherLength })
    }
  }
  const out = await open(tempPath, "wx", 0o600)
  const bufs = [new Uint8Array(PIECE), new Uint8Array(PIECE)] as const
  const key = Redacted.value(o.key)
  const read = (k: number) => {
    const p = pieces[k]
    return p === undefined ? undefined : readExact(input, bufs[k % 2] as Uint8Array, p.n, p.at)
  }
  let pendingWrite: Promise<unknown> = Promise.resolve()
  let next = read(0)
  try {
    let written = 0
    let decipher = createDecipheriv("aes-256-gcm", key, new Uint8Array(12))
    for (let k = 0; k < pieces.length; k++) {
      const piece = pieces[k] as (typeof pieces)[number]
      const data = await (next as Promise<Uint8Array>)
      next = read(k + 1) // into the other buffer, whose piece was consumed in the previous round
      if (k === 0 || pieces[k - 1]?.chunk !== piece.chunk) {
        decipher = createDecipheriv("aes-256-gcm", key, chunkIv(iv0, piece.chunk))
        decipher.setAuthTag(tags[piece.chunk] ?? new Uint8Array(GCM_TAG_LENGTH))
      }
      const plain = decipher.update(data)
      await pendingWrite
      pendingWrite = out.write(plain, 0, plain.length, written).then(() => plain.fill(0))
      written += plain.length
      if (piece.last) {
        try {
          decipher.final()
        } catch {
          throw new DecryptRefused({ refusal: { kind: "chunk", index: piece.chunk, count: l.chunkCount } })
        }
        o.onProgress?.({ bytesDone: written, bytesTotal: l.plainLength })
      }
    }
    await pendingWrite
    await out.sync()
    return { plainLength: l.plainLength, chunkCount: l.chunkCount }
  } finally {
    await Promise.all([pendingWrite.catch(() => undefined), next?.catch(() => undefined)])
    for (const b of bufs) b.fill(0)
    await out.close()
  }
}

/** Decrypts `inPath` to `outPath`; fails with `DecryptRefused` (file refused) or `LocalFileError`. */
export const decryptFile = (inPath: string, outPath: string, options: DecryptFileOptions) =>
  Effect.tryPromise({
    try: async () => {
      const tempPath = join(dirname(outPath), `.${basename(outPath)}.${randomBytes(6).toString("hex")}.partial`)
      const input = await open(inPath, "r")
      try {
        const size = (await input.stat()).size
        const result = await decryptToTemp(input, size, tempPath, options)
        await rename(tempPath, outPath)
        return result
      } catch (e) {
        await unlink(tempPath).catch(() => undefined)
        throw e
      } finally {
        await input.close()
      }
    },
    catch: (cause) =>
      cause instanceof DecryptRefused ? cause : new LocalFileError({ path: inPath, operation: "decrypt", cause }),
  })
