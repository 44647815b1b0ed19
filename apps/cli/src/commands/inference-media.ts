/**
 * `0g-compute inference image|transcribe`: text-to-image (or, with `--image`, image-editing) and speech-to-text
 * providers, through the same verifying fetch as `inference chat` — the images and the transcript are shown only after
 * the TEE signature over them checked out, with the verification level and the fee.
 */
import { readFile, writeFile } from "node:fs/promises"
import { basename, extname } from "node:path"
import type { ExchangeRequest, ExchangeResult } from "@0g-compute/inference"
import { Data, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { keyValues, makePrinter, zg } from "../output.js"
import { intFlagAtLeast, providerFlag } from "./flags.js"
import { exchangeWith, providerJson, withInference } from "./inference-shared.js"

export class MediaFileUnreadable extends Data.TaggedError("MediaFileUnreadable")<{ readonly path: string }> {
  override get message() {
    return `Cannot read ${this.path}`
  }
}

export class MediaFileUnwritable extends Data.TaggedError("MediaFileUnwritable")<{ readonly path: string }> {
  override get message() {
    return `Cannot write ${this.path}`
  }
}

const read = (path: string) =>
  Effect.tryPromise({ try: () => readFile(path), catch: () => new MediaFileUnreadable({ path }) })

/** `out.png`, then `out-2.png`, `out-3.png`… for further images. */
const outPath = (out: string, i: number) => {
  if (i === 0) return out
  const ext = extname(out)
  return `${out.slice(0, out.length - ext.length)}-${i + 1}${ext}`
}

const levelText = (x: ExchangeResult | undefined) =>
  x?.level === undefined ? "-" : `${x.level}${x.receipt?.unbound === undefined ? "" : ` — ${x.receipt.unbound}`}`

const summary = (x: ExchangeResult | undefined) => ({
  level: x?.level,
  verdict: x?.record.verdict,
  fee: x?.record.fee,
  ...(x?.record.images === undefined ? {} : { images: x.record.images }),
  ...(x?.record.audioSeconds === undefined ? {} : { audioSeconds: x.record.audioSeconds }),
})

const summaryLines = (x: ExchangeResult | undefined): Array<readonly [string, string]> => [
  ["verification", x?.record.verdict ?? "unknown"],
  ["level", levelText(x)],
  ["fee", x === undefined ? "-" : zg(x.record.fee)],
]

const modelFlag = Flag.String("model").pipe(Flag.withDescription("model id (default: the provider's)"), Flag.optional)

export const imageCommand = Command.make(
  "image",
  {
    provider: providerFlag,
    prompt: Flag.String("prompt").pipe(Flag.withDescription("what to draw (or, with --image, how to change it)")),
    out: Flag.String("out").pipe(Flag.withDescription("PNG file to write (further images get -2, -3… suffixes)")),
    image: Flag.String("image").pipe(
      Flag.withDescription("edit this image (an image-editing provider)"),
      Flag.optional,
    ),
    n: intFlagAtLeast("n", 1, "how many images (default 1)", "at least one image").pipe(Flag.withDefault(1)),
    model: modelFlag,
  },
  ({ provider, prompt, out, image, n, model }) =>
    withInference((m, g) =>
      Effect.gen(function* () {
        const service = yield* m.Directory.use((d) => d.get(provider))
        const modelId = Option.getOrElse(model, () => service.model)
        let request: ExchangeRequest
        if (Option.isSome(image)) {
          const form = new FormData()
          form.append("model", modelId)
          form.append("prompt", prompt)
          form.append("n", String(n))
          form.append("image", new Blob([yield* read(image.value)], { type: "image/png" }), basename(image.value))
          request = { path: "/v1/proxy/images/edits", body: form }
        } else {
          const body = JSON.stringify({ model: modelId, prompt, n, response_format: "b64_json" })
          request = { path: "/v1/proxy/images/generations", headers: { "content-type": "application/json" }, body }
        }
        const reply = yield* exchangeWith(m, service.provider, request)
        const exchange = reply.exchange
        const doc = (yield* providerJson(service.provider, "image response", reply.text)) as {
          data?: Array<{ b64_json?: string; revised_prompt?: string }>
        }
        const files: Array<{ path: string; bytes: number }> = []
        for (const [i, d] of (doc.data ?? []).entries()) {
          const bytes = Buffer.from(d.b64_json ?? "", "base64")
          const path = outPath(out, i)
          yield* Effect.tryPromise({
            try: () => writeFile(path, bytes),
            catch: () => new MediaFileUnwritable({ path }),
          })
          files.push({ path, bytes: bytes.length })
        }
        yield* makePrinter(g.json).result({ files, ...summary(exchange) }, () =>
          [
            ...files.map((f) => `wrote ${f.path} (${f.bytes} bytes)`),
            "",
            keyValues([...summaryLines(exchange), ["images", String(files.length)]]),
          ].join("\n"),
        )
      }),
    ),
).pipe(Command.withDescription("generate (or edit) images; written only after their TEE signature checked out"))

export const transcribeCommand = Command.make(
  "transcribe",
  {
    provider: providerFlag,
    model: modelFlag,
    file: Argument.String("file").pipe(Argument.withDescription("the audio file")),
  },
  ({ provider, model, file }) =>
    withInference((m, g) =>
      Effect.gen(function* () {
        const service = yield* m.Directory.use((d) => d.get(provider))
        const form = new FormData()
        form.append(
          "model",
          Option.getOrElse(model, () => service.model),
        )
        form.append("file", new Blob([yield* read(file)]), basename(file))
        const reply = yield* exchangeWith(m, service.provider, { path: "/v1/proxy/audio/transcriptions", body: form })
        const exchange = reply.exchange
        const doc = (yield* providerJson(service.provider, "transcription", reply.text)) as { text?: string }
        const text = doc.text ?? ""
        yield* makePrinter(g.json).result({ text, ...summary(exchange) }, () =>
          [
            text,
            "",
            keyValues([
              ...summaryLines(exchange),
              ["audio", exchange?.record.audioSeconds === undefined ? "-" : `${exchange.record.audioSeconds} s`],
            ]),
          ].join("\n"),
        )
      }),
    ),
).pipe(Command.withDescription("transcribe an audio file; shown only after its TEE signature checked out"))
