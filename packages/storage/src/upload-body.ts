/**
 * Builds `zgs_uploadSegmentsByTxSeq` request bodies as bytes in reusable buffers: the segment data is base64-encoded
 * straight into the body, so an upload allocates no per-segment strings (flat memory at any file size).
 */
import { base64Into, toHex } from "./bytes.js"
import { SEGMENT_SIZE } from "./constants.js"
import type { MerkleProof } from "./merkle/index.js"

export interface SegmentPayload {
  readonly index: number
  readonly data: Uint8Array
  readonly proof: MerkleProof
}

const ascii = new TextEncoder()
/** Room per segment for everything but the data: keys, root, index, a proof of up to 64 levels, fileSize. */
const OVERHEAD = 6 * 1024

export class UploadBodyEncoder {
  private readonly body: Uint8Array<ArrayBuffer>
  /** A reusable read buffer for the segments of one request. */
  readonly raw: Uint8Array

  constructor(readonly maxSegments: number) {
    this.body = new Uint8Array(maxSegments * (Math.ceil(SEGMENT_SIZE / 3) * 4 + OVERHEAD) + 512)
    this.raw = new Uint8Array(maxSegments * SEGMENT_SIZE)
  }

  /** The full JSON-RPC request (a view into this encoder's buffer, valid until the next call). */
  encode(
    id: number,
    root: string,
    fileSize: number,
    txSeq: number,
    segments: ReadonlyArray<SegmentPayload>,
  ): Uint8Array<ArrayBuffer> {
    if (segments.length > this.maxSegments) throw new RangeError("too many segments for this encoder")
    let o = 0
    const put = (text: string) => {
      o += ascii.encodeInto(text, this.body.subarray(o)).written
    }
    put(`{"jsonrpc":"2.0","method":"zgs_uploadSegmentsByTxSeq","id":${id},"params":[[`)
    segments.forEach((seg, k) => {
      put(`${k === 0 ? "" : ","}{"root":"${root}","data":"`)
      o = base64Into(seg.data, this.body, o)
      const lemma = seg.proof.lemma.map((h) => `"${toHex(h)}"`).join(",")
      put(
        `","index":${seg.index},"proof":{"lemma":[${lemma}],"path":[${seg.proof.path.join(",")}]},"fileSize":${fileSize}}`,
      )
    })
    put(`],${txSeq}]}`)
    return this.body.subarray(0, o)
  }
}
