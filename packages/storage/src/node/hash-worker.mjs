// Hashes full 256 KiB segments of a file for the main thread. Plain JS so it runs unchanged under node, tsx and
// vitest; keccak-256 comes from hash-wasm (one hasher reused for every node).
// Requests: {id, path, first, count} → {id, roots} (count × 32-byte complete-tree roots of full file segments);
// {id, type: "tree", data, leaves} → {id, roots: root, data} (promote-odd root over data's chunks plus zero chunks
// up to `leaves`; `data` is transferred back). Failures reply {id, error}.
import { closeSync, openSync, readSync } from "node:fs"
import { parentPort } from "node:worker_threads"
import { createKeccak } from "hash-wasm"

const CHUNK = 256
const CHUNKS = 1024
const SEGMENT = CHUNK * CHUNKS

const h = await createKeccak(256)
/** One tree level: 1024 digests, reduced in place. */
const level = new Uint8Array(CHUNKS * 32)
/** Read buffer for a batch of segments (only grows). */
let buf = new Uint8Array(0)
let fd = -1
let fdPath = ""

const hashInto = (data, start, end, dst, at) => {
  h.init()
  h.update(data.subarray(start, end))
  dst.set(h.digest("binary"), at)
}

/** Digests of `n` chunks of `data` from byte `offset` into `level`. */
const leaves = (data, offset, n) => {
  for (let i = 0, p = offset; i < n; i++, p += CHUNK) hashInto(data, p, p + CHUNK, level, i * 32)
}

/** Promote-odd reduction of `n` digests in `level`, in place (parent i overwrites slot i ≤ 2i). */
const reduce = (n) => {
  while (n > 1) {
    const pairs = n >> 1
    for (let i = 0; i < pairs; i++) hashInto(level, i * 64, i * 64 + 64, level, i * 32)
    if (n & 1) level.copyWithin(pairs * 32, (n - 1) * 32, n * 32)
    n = pairs + (n & 1)
  }
}

h.init()
h.update(new Uint8Array(CHUNK))
const zeroLeaf = h.digest("binary")

const treeRoot = (msg) => {
  const chunks = msg.data.length / CHUNK
  if (!Number.isInteger(chunks) || chunks > msg.leaves || msg.leaves > CHUNKS || msg.leaves < 1) {
    throw new Error("bad chunk tree request")
  }
  leaves(msg.data, 0, chunks)
  for (let i = chunks; i < msg.leaves; i++) level.set(zeroLeaf, i * 32)
  reduce(msg.leaves)
  const root = level.slice(0, 32)
  parentPort.postMessage({ id: msg.id, roots: root, data: msg.data }, [root.buffer, msg.data.buffer])
}

const closeFile = () => {
  if (fd >= 0) closeSync(fd)
  fd = -1
  fdPath = ""
}

parentPort.on("message", (msg) => {
  if (msg.type === "close") {
    closeFile()
    return
  }
  try {
    if (msg.type === "tree") {
      treeRoot(msg)
      return
    }
    if (msg.path !== fdPath) {
      closeFile()
      fd = openSync(msg.path, "r")
      fdPath = msg.path
    }
    const bytes = msg.count * SEGMENT
    if (buf.length < bytes) buf = new Uint8Array(bytes)
    let got = 0
    while (got < bytes) {
      const n = readSync(fd, buf, got, bytes - got, msg.first * SEGMENT + got)
      if (n === 0) throw new Error(`file ended before segment ${msg.first + Math.floor(got / SEGMENT)}`)
      got += n
    }
    const roots = new Uint8Array(msg.count * 32)
    for (let k = 0; k < msg.count; k++) {
      leaves(buf, k * SEGMENT, CHUNKS)
      reduce(CHUNKS)
      roots.set(level.subarray(0, 32), k * 32)
    }
    parentPort.postMessage({ id: msg.id, roots }, [roots.buffer])
  } catch (e) {
    closeFile()
    parentPort.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) })
  }
})
