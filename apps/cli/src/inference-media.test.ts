/**
 * `0g-compute inference image` and `inference transcribe` on a devnet with text-to-image, image-editing and
 * speech-to-text providers (issue 13 row 2): the PNGs are written and the transcript printed after verification, with
 * the level and the fee (equal to the provider's unsettled fee); a chatbot provider is refused before any fee.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { useStarted } from "@0g-compute/core/testing/hooks"
import { DEVNET_TRANSCRIPT, type InferenceProvider } from "@0g-compute/devnet"
import { describe, expect, it } from "vitest"
import { useCliDevnet } from "./testing/cli.js"

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47])

describe("0g-compute inference image|transcribe (in-process CLI on a devnet)", () => {
  const { devnet, cli, ack } = useCliDevnet(
    {
      inference: { settleIntervalMs: 0 },
      inferenceProviders: 4,
      inferenceBrokers: [
        { serviceType: "text-to-image" },
        { serviceType: "image-editing" },
        { serviceType: "speech-to-text" },
        undefined,
      ],
    },
    3,
  )
  const env = useStarted(async () => {
    const [painter, editor, scribe, chatbot] = devnet.inference as InferenceProvider[] as [
      InferenceProvider,
      InferenceProvider,
      InferenceProvider,
      InferenceProvider,
    ]
    const dir = await mkdtemp(join(tmpdir(), "zg-media-"))
    const user = devnet.accounts.users[3]?.address ?? ""
    expect((await cli(["ledger", "add", "10"])).code).toBe(0)
    for (const p of [painter, editor, scribe, chatbot]) expect((await ack(p.providerAddress)).code).toBe(0)
    return { dir, painter, editor, scribe, chatbot, user }
  }, 180_000)

  it("image: writes verified PNGs (-2 suffix for the second), bytes-bound, fee = 2 × output price", async () => {
    const out = join(env.dir, "cube.png")
    const run = await cli(["inference", "image", "--provider", env.painter.providerAddress, "--prompt", "a cube"])
    expect(run.code).not.toBe(0) // --out is required
    const ok = await cli([
      "inference",
      "image",
      "--provider",
      env.painter.providerAddress,
      "--prompt",
      "a cube",
      "--n",
      "2",
      "--out",
      out,
      "--json",
    ])
    expect(ok.code).toBe(0)
    const json = JSON.parse(ok.stdout)
    expect(json).toMatchObject({ level: "bytes-bound", verdict: "Verified", images: 2 })
    expect(BigInt(json.fee)).toBe(2n * env.painter.outputPrice)
    expect(env.painter.unsettledFee(env.user)).toBe(2n * env.painter.outputPrice)
    for (const f of [out, join(env.dir, "cube-2.png")]) expect((await readFile(f)).subarray(0, 4)).toEqual(PNG_MAGIC)
  })

  it("image --image: edits through an image-editing provider (multipart)", async () => {
    const source = join(env.dir, "source.png")
    await writeFile(source, Buffer.from("source bytes"))
    const out = join(env.dir, "edited.png")
    const run = await cli([
      "inference",
      "image",
      "--provider",
      env.editor.providerAddress,
      "--image",
      source,
      "--prompt",
      "bluer",
      "--out",
      out,
    ])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/level\s+bytes-bound/)
    expect((await readFile(out)).subarray(0, 4)).toEqual(PNG_MAGIC)
  })

  it("transcribe: prints the verified transcript, billed per audio second", async () => {
    const audio = join(env.dir, "speech.wav")
    await writeFile(audio, Buffer.alloc(96_000, 3)) // 3 s as the devnet hears it
    const run = await cli(["inference", "transcribe", "--provider", env.scribe.providerAddress, audio, "--json"])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ text: DEVNET_TRANSCRIPT, level: "bytes-bound", audioSeconds: 3 })
    expect(env.scribe.unsettledFee(env.user)).toBe(3n * env.scribe.inputPrice)
  })

  it("a chatbot provider is refused before any fee (ServiceTypeMismatch)", async () => {
    const run = await cli([
      "inference",
      "image",
      "--provider",
      env.chatbot.providerAddress,
      "--prompt",
      "x",
      "--out",
      join(env.dir, "never.png"),
      "--json",
    ])
    expect(run.code).toBe(1)
    expect(JSON.parse(run.stderr).error._tag).toBe("ServiceTypeMismatch")
    expect(env.chatbot.unsettledFee(env.user)).toBe(0n)
  })
})
