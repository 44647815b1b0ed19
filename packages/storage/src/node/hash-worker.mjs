// Hashes full 256 KiB segments of a file for the main thread (plain JS so it runs unchanged under node, tsx and
// vitest). Request: {id, path, first, count}; reply: {id, roots} (count × 32-byte complete-tree roots) or {id, error}.
import { closeSync, openSync, readSync } from "node:fs"
import { parentPort } from "node:worker_threads"
import { createKeccak } from "hash-wasm"

const CHUNK = 256
const CHUNKS = 1024
const SEGMENT = CHUNK * CHUNKS

const keccak = await createKeccak(256)
const level = new Uint8Array(CHUNKS * 32)
let buffer = new Uint8Array(0)
let fd = -1
let fdPath = ""

const segmentRoot = (data) => {
  for (let i = 0; i < CHUNKS; i++) {
    keccak.init()
    keccak.update(data.subarray(i * CHUNK, i * CHUNK + CHUNK))
    level.set(keccak.digest("binary"), i * 32)
  }
  for (let n = CHUNKS; n > 1; n >>= 1) {
    for (let i = 0; i < n / 2; i++) {
      keccak.init()
      keccak.update(level.subarray(i * 64, i * 64 + 64))
      level.set(keccak.digest("binary"), i * 32)
    }
  }
  return level.subarray(0, 32)
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
    if (msg.path !== fdPath) {
      closeFile()
      fd = openSync(msg.path, "r")
      fdPath = msg.path
    }
    const bytes = msg.count * SEGMENT
    if (buffer.length < bytes) buffer = new Uint8Array(bytes)
    let got = 0
    while (got < bytes) {
      const n = readSync(fd, buffer, got, bytes - got, msg.first * SEGMENT + got)
      if (n === 0) throw new Error(`file ended before segment ${msg.first + Math.floor(got / SEGMENT)}`)
      got += n
    }
    const roots = new Uint8Array(msg.count * 32)
    for (let k = 0; k < msg.count; k++) roots.set(segmentRoot(buffer.subarray(k * SEGMENT, (k + 1) * SEGMENT)), k * 32)
    parentPort.postMessage({ id: msg.id, roots }, [roots.buffer])
  } catch (e) {
    closeFile()
    parentPort.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) })
  }
})
