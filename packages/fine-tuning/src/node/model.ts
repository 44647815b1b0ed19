/**
 * Model delivery on Node (fine-tuning-protocol.md §7, §9): signed download to a file under the download limits
 * (idle and total deadlines, the size the provider declares, an absolute ceiling), the hash
 * check against the on-chain deliverable (keccak or 0G merkle root) plus the TEE tag signature, the acknowledgement
 * (only after both pass), and the streaming decryption that releases plaintext only after verification.
 */
import { randomBytes } from "node:crypto"
import { lstat, open, stat, unlink } from "node:fs/promises"
import {
  type BoundedResponse,
  type ExchangeTarget,
  isProviderLimitError,
  ProviderBodyTooLarge,
  type ProviderLimitError,
  type ProviderLimits,
  parsePrivateKey,
  providerExchange,
  Wallet as WalletService,
} from "@0g-compute/core"
import {
  type DecryptModelError,
  GCM_TAG_LENGTH,
  MODEL_HEADER_LENGTH,
  type ModelFileIoError,
  modelFileLayout,
  modelTagsDigest,
  signModelDownload,
  TAG_SIGNATURE_LENGTH,
  unwrapSecret,
  verifyModelTagSignature,
} from "@0g-compute/crypto"
import { decryptModelFile, keccak256File } from "@0g-compute/crypto/node"
import { OutputExists } from "@0g-compute/storage"
import { claimOutput, merkleOfFile } from "@0g-compute/storage/node"
import { Effect, Redacted } from "effect"
import { HttpClientRequest } from "effect/http"
import { Wallet } from "ethers"
import { sendServing } from "../chain.js"
import { FineTuningConfig } from "../config.js"
import { getDeliverable } from "../deliverables.js"
import {
  DeliverablePenalized,
  LocalFileError,
  ModelFileTampered,
  ModelRootMismatch,
  ProviderHttpError,
  ProviderUnreachable,
  SecretNotReleased,
  SecretUnusable,
  WrongDecryptionKey,
  WrongTagSignature,
} from "../errors.js"
import { errorDetail } from "../http.js"
import { endpoint } from "../providers.js"
import { downloadFromStorage } from "./storage.js"

const fileError = (path: string, operation: string) => (cause: unknown) =>
  new LocalFileError({ path, operation, cause })

type Fetch = typeof globalThis.fetch

type DownloadFailure = ProviderUnreachable | ProviderLimitError | OutputExists | LocalFileError

/** A transport failure, a breached limit or a taken output as is; anything else happened writing the file. */
const downloadFailure = (outPath: string, e: unknown): DownloadFailure =>
  e instanceof ProviderUnreachable || isProviderLimitError(e) || e instanceof OutputExists
    ? e
    : new LocalFileError({ path: outPath, operation: "write", cause: e })

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  )

/** Fails before anything is fetched when `outPath` exists and may not be replaced. */
const refuseExisting = (outPath: string, overwrite: boolean) =>
  overwrite
    ? Effect.void
    : Effect.flatMap(
        Effect.promise(() => exists(outPath)),
        (taken) => (taken ? Effect.fail(new OutputExists({ path: outPath })) : Effect.void),
      )

/**
 * Writes the body into `outPath` through a temp file: no more bytes than the provider declares in `content-length`
 * (the exchange already holds it to `maxBytes` and the deadlines). Any failure closes the connection.
 */
const bodyToFile = async (res: BoundedResponse, target: ExchangeTarget, outPath: string, overwrite: boolean) => {
  const temp = `${outPath}.${randomBytes(6).toString("hex")}.partial`
  try {
    const fh = await open(temp, "wx", 0o600)
    try {
      // The declared size holds the provider to its word even through a `fetch` that does not enforce framing.
      const declared = res.response.headers.has("content-encoding")
        ? Number.NaN
        : Number(res.response.headers.get("content-length") ?? Number.NaN)
      let bytes = 0
      for (let chunk = await res.read(); chunk !== undefined; chunk = await res.read()) {
        bytes += chunk.length
        if (bytes > declared) {
          throw new ProviderBodyTooLarge({ ...target, limit: declared, what: "model file beyond its content-length" })
        }
        await fh.write(chunk)
      }
      await fh.sync()
      await fh.close()
      await claimOutput(temp, outPath, overwrite) // a linked temp goes in the finally below
      return bytes
    } catch (e) {
      await fh.close().catch(() => undefined)
      throw e
    }
  } catch (e) {
    res.cancel(e)
    throw e
  } finally {
    await unlink(temp).catch(() => undefined)
  }
}

/**
 * One download through core's provider exchange under the model-download limits (phase deadlines, the body
 * ceiling, a larger declared size refused unread); interrupting it closes the connection, also mid-body.
 */
const streamToFile = (
  target: ExchangeTarget,
  body: string,
  out: { readonly path: string; readonly overwrite: boolean },
  limits: ProviderLimits,
  fetch: Fetch,
) =>
  Effect.gen(function* () {
    const request = HttpClientRequest.bodyText(HttpClientRequest.post(target.url), body, "application/json")
    const unreachable = (cause: unknown) =>
      cause instanceof ProviderUnreachable ? cause : new ProviderUnreachable({ ...target, cause })
    const res = yield* providerExchange(request, target, limits, { fetch, unreachable })
    if (!res.response.ok) {
      const text = yield* Effect.promise(() => res.text().catch(() => ""))
      return yield* new ProviderHttpError({ ...target, status: res.response.status, detail: errorDetail(text) })
    }
    // Interrupted: close the connection, then wait for the write to wind down (its temp file removed).
    return yield* Effect.callback<number, DownloadFailure>((resume) => {
      const written = bodyToFile(res, target, out.path, out.overwrite)
      written.then(
        (bytes) => resume(Effect.succeed(bytes)),
        (e: unknown) => resume(Effect.fail(downloadFailure(out.path, e))),
      )
      return Effect.promise(() => {
        res.cancel()
        return written.then(
          () => undefined,
          () => undefined,
        )
      })
    })
  })

/**
 * Downloads the encrypted model through the provider route (`POST …/task/{id}/lora`), re-signing on every attempt
 * (the timestamp window), into `outPath` (atomically). Retries twice on transport failures. An existing `outPath` is
 * `OutputExists` (before anything is fetched) unless `overwrite`.
 */
export const downloadModel = (
  provider: string,
  taskId: string,
  outPath: string,
  { overwrite = false }: ModelOutput = {},
) =>
  Effect.gen(function* () {
    yield* refuseExisting(outPath, overwrite)
    const wallet = yield* WalletService
    const config = yield* FineTuningConfig
    const { ep } = yield* endpoint(provider)
    const url = `${ep.url}/v1/user/${wallet.address}/task/${encodeURIComponent(taskId)}/lora`
    const attempt = Effect.gen(function* () {
      const signed = yield* signModelDownload(wallet.signer, { taskId })
      const body = JSON.stringify({ signature: signed.signature, timestamp: signed.timestamp })
      const limits = config.providerLimits.modelDownload
      const bytes = yield* streamToFile({ provider, url }, body, { path: outPath, overwrite }, limits, ep.fetch)
      return { path: outPath, bytes }
    })
    // A transport failure or a stall may be transient; a body over the ceiling is not.
    return yield* attempt.pipe(
      Effect.retry({ times: 2, while: (e) => e._tag === "ProviderUnreachable" || e._tag === "ProviderTimeout" }),
    )
  })

/** The tag signature of a model file, recovered without the key (header + the 16-byte tags only). */
const tagSigner = (path: string, chunkSize: number, teeSigner: string) =>
  Effect.gen(function* () {
    const size = (yield* Effect.tryPromise({ try: () => stat(path), catch: fileError(path, "stat") })).size
    const layout = modelFileLayout(size, chunkSize)
    if (layout._tag === "Failure") return { ok: false, reason: layout.failure.reason, recovered: "" }
    const l = layout.success
    const pieces = yield* Effect.tryPromise({
      try: async () => {
        const fh = await open(path, "r")
        try {
          const read = async (length: number, position: number) => {
            const buf = new Uint8Array(length)
            await fh.read(buf, 0, length, position)
            return buf
          }
          const header = await read(MODEL_HEADER_LENGTH, 0)
          const tags: Array<Uint8Array> = []
          for (let i = 0; i < l.chunkCount; i++) {
            tags.push(await read(GCM_TAG_LENGTH, l.chunkOffset(i) + l.chunkLength(i) - GCM_TAG_LENGTH))
          }
          return { header, tags }
        } finally {
          await fh.close()
        }
      },
      catch: fileError(path, "read"),
    })
    const sig = pieces.header.subarray(0, TAG_SIGNATURE_LENGTH)
    const r = verifyModelTagSignature(sig, modelTagsDigest(pieces.tags), teeSigner, l.chunkCount)
    if (r._tag === "Success") return { ok: true, reason: "", recovered: r.success }
    const recovered = r.failure._tag === "ModelTagSignatureMismatch" ? r.failure.recovered : "none"
    return { ok: false, reason: r.failure.message, recovered }
  })

export type RootMatch = "keccak" | "merkle"

/**
 * Checks a downloaded file against the deliverable (§9.1: keccak256 of the file or its 0G merkle root) and the TEE
 * tag signature against the on-chain signer. Root ✓ signature ✗ → `WrongTagSignature`; root ✗ signature ✓ →
 * `ModelRootMismatch`; both ✗ (or a malformed file) → `ModelFileTampered`.
 */
export const verifyModelFile = (taskId: string, path: string, expectedRoot: string, teeSigner: string) =>
  Effect.gen(function* () {
    const config = yield* FineTuningConfig
    const expected = expectedRoot.toLowerCase()
    const keccak = yield* keccak256File(path).pipe(Effect.mapError(fileError(path, "hash")))
    let merkleRoot = ""
    let matchedBy: RootMatch | undefined = keccak === expected ? "keccak" : undefined
    if (matchedBy === undefined) {
      merkleRoot = (yield* merkleOfFile(path).pipe(Effect.mapError(fileError(path, "hash")))).root
      if (merkleRoot === expected) matchedBy = "merkle"
    }
    const sig = yield* tagSigner(path, config.chunkSize, teeSigner)
    if (matchedBy !== undefined && sig.ok) return { matchedBy, keccak }
    if (matchedBy !== undefined) {
      return yield* new WrongTagSignature({ taskId, expected: teeSigner, recovered: sig.recovered })
    }
    if (sig.ok) return yield* new ModelRootMismatch({ taskId, expected, keccak, merkleRoot, path })
    return yield* new ModelFileTampered({
      taskId,
      path,
      reason: `the file matches neither the on-chain root nor the TEE tag signature (${sig.reason})`,
    })
  })

export type ModelSource = "storage" | "provider"

export interface ModelOutput {
  /** Where the encrypted model comes from; default 0G Storage when configured, the provider route as the fallback. */
  readonly source?: ModelSource
  /** Replace an existing output file (otherwise it is `OutputExists`). */
  readonly overwrite?: boolean
}

/**
 * Fetches the encrypted model: from 0G Storage by the on-chain root (every segment proof and the root verified) when
 * storage is configured and the root is a 32-byte hash, falling back to the provider route unless `source` forces one.
 * An existing `outPath` is `OutputExists` unless `overwrite`.
 */
export const fetchModel = (provider: string, taskId: string, root: string, outPath: string, output: ModelOutput = {}) =>
  Effect.gen(function* () {
    const { source, overwrite = false } = output
    yield* refuseExisting(outPath, overwrite)
    const storage = (yield* FineTuningConfig).storage
    const byStorage = storage !== undefined && source !== "provider" && /^0x[0-9a-fA-F]{64}$/.test(root)
    const viaProvider = Effect.map(downloadModel(provider, taskId, outPath, output), (r) => ({
      ...r,
      source: "provider" as const,
    }))
    if (!byStorage) return yield* viaProvider
    const stored = yield* Effect.result(downloadFromStorage(storage, root, outPath, overwrite))
    if (stored._tag === "Success")
      return { path: stored.success.path, bytes: stored.success.size, source: "storage" as const }
    if (stored.failure.cause._tag === "OutputExists") return yield* stored.failure.cause
    if (source === "storage") return yield* stored.failure
    return yield* viaProvider
  })

const rejectPenalized = (provider: string, taskId: string) =>
  Effect.flatMap(getDeliverable(provider, taskId), (d) =>
    d.view.penalized ? Effect.fail(new DeliverablePenalized({ provider, taskId })) : Effect.succeed(d),
  )

/**
 * Download → verify (root and tag signature) → `acknowledgeDeliverable`. Nothing is acknowledged unless every check
 * passed; a rejected file stays at `outPath` as evidence. An existing `outPath` is `OutputExists` unless `overwrite`.
 */
export const acknowledgeModel = (provider: string, taskId: string, outPath: string, output: ModelOutput = {}) =>
  Effect.gen(function* () {
    const { record, view } = yield* rejectPenalized(provider, taskId)
    const { service } = yield* endpoint(provider)
    const fetched = yield* fetchModel(provider, taskId, record.modelRootHash, outPath, output)
    const verified = yield* verifyModelFile(taskId, outPath, record.modelRootHash, service.teeSigner)
    const txHash = view.acknowledged
      ? undefined
      : (yield* sendServing("acknowledgeDeliverable", [service.provider, taskId])).hash
    return {
      taskId,
      path: outPath,
      modelRootHash: record.modelRootHash,
      matchedBy: verified.matchedBy,
      source: fetched.source,
      txHash,
    }
  })

/** Maps crypto's typed decryption failures to this package's errors. */
const refusal =
  (taskId: string, path: string, teeSigner: string) =>
  (e: DecryptModelError | ModelFileIoError): WrongTagSignature | ModelFileTampered | LocalFileError => {
    const tampered = (reason: string) => new ModelFileTampered({ taskId, reason, path })
    switch (e._tag) {
      case "ModelTagSignatureMismatch":
        return new WrongTagSignature({ taskId, expected: teeSigner, recovered: e.recovered })
      case "MalformedSignature":
        return new WrongTagSignature({ taskId, expected: teeSigner, recovered: "none" })
      case "ModelChunkCorrupted":
        return tampered(`chunk ${e.chunkIndex + 1}/${e.chunkCount} failed AES-GCM authentication (altered)`)
      case "ModelKeyMismatch":
        return tampered(`no chunk authenticates with the released key: not the file this key opens (${e.message})`)
      case "ModelFileTruncated":
        return tampered(e.reason)
      case "InvalidAesKey":
        return tampered(`the released secret is not a 32-byte AES key (${e.length} bytes)`)
      case "ModelFileIoError":
        return new LocalFileError({ path: e.path, operation: e.operation, cause: e.cause })
    }
  }

export interface DecryptModelOptions {
  /** The encrypted file (from `acknowledgeModel`); downloaded and verified again when omitted. */
  readonly encryptedPath?: string
  /** Where the model zip appears, only after full verification. */
  readonly outputPath: string
  /** The raw key of the wallet that signed the task (ECIES recipient). */
  readonly privateKey: Redacted.Redacted<string>
}

/**
 * Unwraps the on-chain secret with the wallet key and stream-decrypts, checking the tag signature against the
 * on-chain TEE signer before any plaintext is written; the output appears by rename only on success.
 */
export const decryptModel = (provider: string, taskId: string, options: DecryptModelOptions) =>
  Effect.gen(function* () {
    const wallet = yield* WalletService
    const config = yield* FineTuningConfig
    const { record, view } = yield* rejectPenalized(provider, taskId)
    if (!view.secretReleased) return yield* new SecretNotReleased({ taskId, acknowledged: view.acknowledged })
    const { service } = yield* endpoint(provider)
    const keyAddress = new Wallet(Redacted.value(yield* parsePrivateKey(Redacted.value(options.privateKey)))).address
    // The task's own key failing is the provider's doing; only another key is the caller's mistake.
    const ownKey = keyAddress.toLowerCase() === wallet.address.toLowerCase()
    const key = yield* Effect.fromResult(unwrapSecret(record.encryptedSecret, options.privateKey)).pipe(
      Effect.catchTag("SecretUnwrapFailed", () =>
        Effect.fail(
          ownKey
            ? new SecretUnusable({ provider: service.provider, taskId, taskUser: wallet.address })
            : new WrongDecryptionKey({ taskId, keyAddress, taskUser: wallet.address }),
        ),
      ),
    )
    let encryptedPath = options.encryptedPath
    if (encryptedPath === undefined) {
      encryptedPath = `${options.outputPath}.encrypted`
      // A scratch file named after the output, replaced on every run.
      yield* fetchModel(provider, taskId, record.modelRootHash, encryptedPath, { overwrite: true })
      yield* verifyModelFile(taskId, encryptedPath, record.modelRootHash, service.teeSigner)
    }
    const inPath = encryptedPath
    const result = yield* decryptModelFile(inPath, options.outputPath, {
      key,
      expectedSigner: service.teeSigner,
      chunkSize: config.chunkSize,
    }).pipe(Effect.mapError(refusal(taskId, inPath, service.teeSigner)))
    Redacted.value(key).fill(0)
    return { taskId, path: options.outputPath, bytes: result.plainLength, chunkCount: result.chunkCount }
  })
