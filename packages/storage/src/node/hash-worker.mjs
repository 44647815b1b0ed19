// Hashes full 256 KiB segments of a file for the main thread. Plain JS so it runs unchanged under node, tsx and
// vitest. workerData.kernel holds the bytes of the batch keccak kernel (merkle/keccak-kernel.ts).
// Requests: {id, path, first, count} → {id, roots} (count × 32-byte complete-tree roots of full file segments);
// {id, type: "tree", data, leaves} → {id, roots: root, data} (promote-odd root over data's chunks plus zero chunks
// up to `leaves`; `data` is transferred back). Failures reply {id, error}.
import { closeSync, openSync, readSync } from "node:fs"
import { parentPort, workerData } from "node:worker_threads"

const SEGMENT = 256 * 1024
const CHUNKS = 1024
const IO_BASE = 1024 // below: the kernel's round constants
const OUT = IO_BASE // 1024 digests
const IN = OUT + CHUNKS * 32
const PAGE = 65536

const { exports: kernel } = await WebAssembly.instantiate(await WebAssembly.compile(workerData.kernel), {})
let mem = new Uint8Array(kernel.memory.buffer)
let fd = -1
let fdPath = ""

/** Makes room for `segments` segments at IN (memory only grows). */
const reserve = (segments) => {
  const need = IN + segments * SEGMENT
  if (kernel.memory.buffer.byteLength < need) {
    kernel.memory.grow(Math.ceil((need - kernel.memory.buffer.byteLength) / PAGE))
    mem = new Uint8Array(kernel.memory.buffer)
  }
}

mem.fill(0, IN, IN + 256)
kernel.leaves(IN, 1, OUT)
const zeroLeaf = mem.slice(OUT, OUT + 32)

/** Promote-odd reduction of `n` digests at OUT, in place. */
const reduce = (n) => {
  while (n > 1) {
    const pairs = n >> 1
    kernel.pairs(OUT, pairs, OUT)
    if (n & 1) mem.copyWithin(OUT + pairs * 32, OUT + (n - 1) * 32, OUT + n * 32)
    n = pairs + (n & 1)
  }
}

const treeRoot = (msg) => {
  const chunks = msg.data.length / 256
  if (!Number.isInteger(chunks) || chunks > msg.leaves || msg.leaves > CHUNKS || msg.leaves < 1) {
    throw new Error("bad chunk tree request")
  }
  mem.set(msg.data, IN)
  kernel.leaves(IN, chunks, OUT)
  for (let i = chunks; i < msg.leaves; i++) mem.set(zeroLeaf, OUT + i * 32)
  reduce(msg.leaves)
  const root = mem.slice(OUT, OUT + 32)
  parentPort.postMessage({ id: msg.id, roots: root, data: msg.data }, [root.buffer, msg.data.buffer])
}

const segmentRoot = (at, out, outOffset) => {
  kernel.leaves(at, CHUNKS, OUT)
  for (let n = CHUNKS >> 1; n >= 1; n >>= 1) kernel.pairs(OUT, n, OUT)
  out.set(mem.subarray(OUT, OUT + 32), outOffset)
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
    reserve(msg.count)
    const bytes = msg.count * SEGMENT
    let got = 0
    while (got < bytes) {
      const n = readSync(fd, mem, IN + got, bytes - got, msg.first * SEGMENT + got)
      if (n === 0) throw new Error(`file ended before segment ${msg.first + Math.floor(got / SEGMENT)}`)
      got += n
    }
    const roots = new Uint8Array(msg.count * 32)
    for (let k = 0; k < msg.count; k++) segmentRoot(IN + k * SEGMENT, roots, k * 32)
    parentPort.postMessage({ id: msg.id, roots }, [roots.buffer])
  } catch (e) {
    closeFile()
    parentPort.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) })
  }
})
