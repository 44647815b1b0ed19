/**
 * A JSON-file `KeyStore` for CLIs: the issued API-key ids per (user, provider) survive the process, so a later run
 * never hands out an id that is still in use. Only metadata is written (ids, generation, times, labels) — never a
 * key. Writes are atomic (temp file + rename) with mode 0600.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises"
import { dirname } from "node:path"
import { Effect, Layer, Semaphore } from "effect"
import { type IssuedKey, KeyStore, type KeyStoreShape, keyStoreKey } from "../auth/key-store.js"
import { KeyStoreError } from "../errors.js"

interface FileShape {
  readonly version: 1
  readonly keys: Record<string, ReadonlyArray<IssuedKey>>
}

const isIssued = (u: unknown): u is IssuedKey => {
  const k = u as IssuedKey
  return (
    typeof k === "object" &&
    k !== null &&
    Number.isInteger(k.tokenId) &&
    typeof k.generation === "string" &&
    typeof k.createdAt === "number" &&
    typeof k.expiresAt === "number"
  )
}

export const makeFileKeyStore = (path: string): KeyStoreShape => {
  const lock = Semaphore.makeUnsafe(1)
  const read = Effect.tryPromise({
    try: async (): Promise<FileShape> => {
      let text: string
      try {
        text = await readFile(path, "utf8")
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, keys: {} }
        throw e
      }
      const json = JSON.parse(text) as FileShape
      if (json.version !== 1 || typeof json.keys !== "object" || json.keys === null)
        throw new Error("unknown file format")
      return json
    },
    catch: (cause) => new KeyStoreError({ operation: `read ${path}`, cause }),
  })
  const write = (data: FileShape) =>
    Effect.tryPromise({
      try: async () => {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 })
        const tmp = `${path}.${process.pid}.${Date.now()}.tmp`
        await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 })
        await rename(tmp, path)
      },
      catch: (cause) => new KeyStoreError({ operation: `write ${path}`, cause }),
    })
  return {
    load: (user, provider) =>
      Effect.map(read, (data) => (data.keys[keyStoreKey(user, provider)] ?? []).filter(isIssued)),
    save: (user, provider, keys) =>
      lock.withPermit(
        Effect.flatMap(read, (data) =>
          write({ version: 1, keys: { ...data.keys, [keyStoreKey(user, provider)]: [...keys] } }),
        ),
      ),
  }
}

/** `KeyStore` backed by a JSON file (e.g. `~/.0g-compute/api-keys.json`). */
export const fileKeyStoreLayer = (path: string) => Layer.succeed(KeyStore, makeFileKeyStore(path))
