// Decrypts whole chunks of an encrypted model file for decryptModelFile's worker pool (decrypt-pool.ts), so each core
// runs AES-256-GCM on a chunk of its own. Plain JS so it runs unchanged under node, tsx, vitest and the CLI bundle.
// Per file the pool posts {type: "open", inPath, outPath, key, pieceSize}, then chunks:
//   {type: "chunk", index, at, length, iv, tag, plainAt} → {type: "done", index, ok} (ok false: the tag did not
//     authenticate; the chunk's plaintext already written stays in the temp file the caller deletes)
//                                                       | {type: "error", index, path, operation, message, code, eof}
//   {type: "shut"} → zeroes the key and buffer, closes both files → {type: "shut"}
// and {type: "close"} lets the thread end (shutting first if needed).
import { createDecipheriv } from "node:crypto"
import { closeSync, openSync, readSync, writeSync } from "node:fs"
import { parentPort } from "node:worker_threads"

/** @type {{ inPath: string, outPath: string, key: Uint8Array, buffer: Uint8Array, input: number, output: number } | undefined} */
let state

class IoFailure extends Error {
  constructor(path, operation, cause, eof = false) {
    super(cause instanceof Error ? cause.message : String(cause))
    this.path = path
    this.operation = operation
    this.code = typeof cause?.code === "string" ? cause.code : undefined
    this.eof = eof
  }
}

const attempt = (path, operation, f) => {
  try {
    return f()
  } catch (cause) {
    throw new IoFailure(path, operation, cause)
  }
}

const open = (m) => {
  shut()
  const input = attempt(m.inPath, "open", () => openSync(m.inPath, "r"))
  const output = attempt(m.outPath, "open", () => openSync(m.outPath, "r+"))
  state = { inPath: m.inPath, outPath: m.outPath, key: m.key, buffer: new Uint8Array(m.pieceSize), input, output }
}

const readExactly = (s, length, position) => {
  for (let done = 0; done < length; ) {
    const n = attempt(s.inPath, "read", () => readSync(s.input, s.buffer, done, length - done, position + done))
    if (n === 0) throw new IoFailure(s.inPath, "read", `file ended at byte ${position + done} while reading`, true)
    done += n
  }
  return s.buffer.subarray(0, length)
}

const writeAll = (s, bytes, position) => {
  for (let done = 0; done < bytes.length; ) {
    done += attempt(s.outPath, "write", () => writeSync(s.output, bytes, done, bytes.length - done, position + done))
  }
}

const decryptChunk = (s, m) => {
  const decipher = createDecipheriv("aes-256-gcm", s.key, m.iv, { authTagLength: 16 })
  decipher.setAuthTag(m.tag)
  for (let done = 0; done < m.length; ) {
    const length = Math.min(s.buffer.length, m.length - done)
    const plain = decipher.update(readExactly(s, length, m.at + done))
    writeAll(s, plain, m.plainAt + done)
    plain.fill(0)
    done += length
  }
  try {
    decipher.final()
    return true
  } catch {
    return false
  }
}

const shut = () => {
  if (state === undefined) return
  state.key.fill(0)
  state.buffer.fill(0)
  for (const fd of [state.input, state.output]) {
    try {
      closeSync(fd)
    } catch {
      // already closed or never usable: nothing left to release
    }
  }
  state = undefined
}

parentPort.on("message", (m) => {
  if (m.type === "close") {
    shut()
    parentPort.close()
    return
  }
  if (m.type === "shut") {
    shut()
    parentPort.postMessage({ type: "shut" })
    return
  }
  try {
    if (m.type === "open") open(m)
    else if (state === undefined) throw new IoFailure("", "decrypt", "chunk before open")
    else parentPort.postMessage({ type: "done", index: m.index, ok: decryptChunk(state, m) })
  } catch (e) {
    const f = e instanceof IoFailure ? e : new IoFailure("", "decrypt", e)
    parentPort.postMessage({
      type: "error",
      index: m.index,
      path: f.path,
      operation: f.operation,
      message: f.message,
      code: f.code,
      eof: f.eof,
    })
  }
})
