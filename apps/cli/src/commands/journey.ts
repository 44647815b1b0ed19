/**
 * `0g-compute journey`: the README's main job. Starts the embedded devnet and walks the user journey by running each
 * step as its own `0g-compute` invocation (in this process, with the step's own environment, key cache and exit code),
 * printing each command and its output, then a summary.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describeCause, formatZG } from "@0g-compute/core/light"
import type { Devnet } from "@0g-compute/devnet"
import { Data, Effect, Redacted } from "effect"
import { Command } from "effect/cli"
import { CliIO, makeIO } from "../io.js"
import { startDevnetScoped } from "./devnet.js"
import { globals, withErrors } from "./root.js"

export class JourneyStepFailed extends Data.TaggedError("JourneyStepFailed")<{
  readonly step: string
  readonly exitCode: number | null
}> {
  override get message() {
    return `journey step failed (exit ${this.exitCode}): 0g-compute ${this.step}`
  }
}

/** The journey's scratch directory could not be written (the temp directory is full or not writable). */
export class JourneyFilesUnwritable extends Data.TaggedError("JourneyFilesUnwritable")<{
  readonly reason: string
}> {
  override get message() {
    return `journey: cannot write its scratch files in the temp directory (${this.reason})`
  }
}

interface StepResult {
  readonly code: number | null
  readonly stdout: string
}

/** Runs one invocation of this CLI, streaming its output under the printed command line. */
// Typed here: inferring it through the import of cli.ts (which holds this command) is a cycle for tsc.
const runCli = (
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>,
  echo: boolean,
): Effect.Effect<StepResult> =>
  Effect.gen(function* () {
    const parent = yield* CliIO
    // cli.ts holds this command: loaded when a step runs, not when this module is.
    const { runInProcess } = yield* Effect.promise(() => import("../cli.js"))
    let stdout = ""
    const io = makeIO({
      env,
      stdout: (s) => {
        stdout += s
        if (echo) parent.stdout(s)
      },
      stderr: (s) => {
        if (echo) parent.stdout(s)
      },
    })
    const code = yield* runInProcess(args, io)
    return { code, stdout } satisfies StepResult
  })

const unwritable = (e: unknown) => new JourneyFilesUnwritable({ reason: describeCause(e) })

/** One scratch directory for the run's files, removed when the journey's scope closes (a re-run leaves nothing). */
const scratchDir = Effect.acquireRelease(
  Effect.tryPromise({
    try: () => mkdtemp(join(tmpdir(), "0g-journey-")),
    catch: unwritable,
  }),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true })),
)

const writeScratch = (path: string, data: string | Uint8Array) =>
  Effect.tryPromise({
    try: () => writeFile(path, data),
    catch: unwritable,
  })

/** A tiny dataset and training config for the fine-tuning steps. */
const writeJourneyFiles = (dir: string) =>
  Effect.gen(function* () {
    const dataset = join(dir, "dataset.jsonl")
    const config = join(dir, "training-config.json")
    const lines = [
      { text: "the network verifies what providers return" },
      { text: "responses are signed inside a trusted execution environment" },
      { text: "models are delivered encrypted and the key is released on chain" },
    ]
    yield* writeScratch(dataset, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`)
    yield* writeScratch(
      config,
      JSON.stringify({
        neftune_noise_alpha: 5,
        num_train_epochs: 2,
        per_device_train_batch_size: 2,
        learning_rate: 0.0002,
        max_steps: -1,
      }),
    )
    return { dataset, config }
  })

/** Where the image goes and a short recording (silence: the devnet transcribes any audio the same way). */
const writeMediaFiles = (dir: string) =>
  Effect.gen(function* () {
    const audio = join(dir, "speech.wav")
    yield* writeScratch(audio, new Uint8Array(64_000))
    return { image: join(dir, "lighthouse.png"), audio }
  })

export const journey = (devnet: Devnet, print: (s: string) => void) =>
  Effect.gen(function* () {
    const parentEnv = (yield* CliIO).env
    const user = devnet.accounts.users[0]!
    const friend = devnet.accounts.users[1]!
    const inference = devnet.services.inference[0]!
    const fineTuning = devnet.services.fineTuning[0]!
    // The key travels in the environment, never in argv.
    const env = { ...parentEnv, ZG_PRIVATE_KEY: Redacted.value(user.privateKey), NO_COLOR: "1" }
    const net = ["--network", devnet.rpcUrl]
    let n = 0
    const step = (title: string, args: ReadonlyArray<string>, expectFailure = false) =>
      Effect.gen(function* () {
        n += 1
        print(`\n[${n}] ${title}\n$ 0g-compute ${args.join(" ")}`)
        const r = yield* runCli([...net, ...args], env, true)
        if ((r.code === 0) === expectFailure)
          return yield* new JourneyStepFailed({ step: args.join(" "), exitCode: r.code })
        return r.stdout
      })
    const ledgerJson = (stdout: string) => JSON.parse(stdout) as { ledger: { available: string; total: string } }

    print(`Devnet up at ${devnet.rpcUrl} (chain ${devnet.chainId}); acting as ${user.address}`)
    yield* step("A new user has no ledger yet: a clear error, exit code 1", ["ledger", "show"], true)
    yield* step("Create the ledger with 10 0G", ["ledger", "add", "10"])
    yield* step("Deposit 2.5 0G more", ["ledger", "deposit", "2.5"])
    yield* step("Fund a friend's ledger", ["ledger", "deposit", "3", "--for", friend.address])
    yield* step(
      "An amount with 19 decimals is refused before any transaction",
      ["ledger", "deposit", "0.0000000000000000001"],
      true,
    )
    yield* step("Discover inference services (owner-vetted only)", ["inference", "list"])
    yield* step("Check the provider's attestation: every check reported, devnet quotes say so", [
      "inference",
      "verify",
      "--provider",
      inference.provider.address,
    ])
    yield* step("Acknowledge it and open a 2 0G sub-account (a devnet quote needs --allow-devnet)", [
      "inference",
      "ack",
      "--provider",
      inference.provider.address,
      "--fund",
      "2",
      "--allow-devnet",
    ])
    yield* step("Ask the provider; the answer is shown only after its TEE signature verifies", [
      "inference",
      "chat",
      "--provider",
      inference.provider.address,
      "What does 0G verify?",
    ])
    yield* step("The same, streamed; verification completes before the stream ends", [
      "inference",
      "chat",
      "--provider",
      inference.provider.address,
      "--stream",
      "Stream a verified answer",
    ])
    // The 2026 broker's other provider types (docs/broker-2026.md): each answer says how far it was verified.
    const centralized = devnet.services.inference[1]!.provider.address
    const standard = devnet.services.inference[2]!.provider.address
    yield* step("A centralized provider (its upstream is an API): acknowledge and fund 1 0G", [
      "inference",
      "ack",
      "--provider",
      centralized,
      "--fund",
      "1",
      "--allow-devnet",
    ])
    yield* step("Its answers carry the broker TEE's routing proof; both hashes are recomputed (bytes-bound)", [
      "inference",
      "chat",
      "--provider",
      centralized,
      "Who answered this?",
    ])
    yield* step("A standard provider (it signs nothing): acknowledge it and fund 1 0G", [
      "inference",
      "ack",
      "--provider",
      standard,
      "--fund",
      "1",
      "--allow-devnet",
      "--allow-unverified",
    ])
    yield* step(
      "Asking it is refused before any fee is charged",
      ["inference", "chat", "--provider", standard, "Can you prove this?"],
      true,
    )
    yield* step("…unless the answer may be unverifiable, said explicitly per call", [
      "inference",
      "chat",
      "--provider",
      standard,
      "--allow-unverifiable",
      "Unverified, knowingly",
    ])
    const painter = devnet.services.inference[3]!.provider.address
    const scribe = devnet.services.inference[4]!.provider.address
    for (const [kind, p] of [
      ["text-to-image", painter],
      ["speech-to-text", scribe],
    ] as const)
      yield* step(`A ${kind} provider: acknowledge and fund 1 0G`, [
        "inference",
        "ack",
        "--provider",
        p,
        "--fund",
        "1",
        "--allow-devnet",
      ])
    const dir = yield* scratchDir
    const media = yield* writeMediaFiles(dir)
    yield* step("Draw an image: written only after the decoded image's hash matches the TEE-signed one", [
      "inference",
      "image",
      "--provider",
      painter,
      "--prompt",
      "a lighthouse on a verified coast",
      "--out",
      media.image,
    ])
    yield* step("Transcribe a recording: the transcript is printed once its signature verifies", [
      "inference",
      "transcribe",
      "--provider",
      scribe,
      media.audio,
    ])
    const ft = fineTuning.provider.address
    const indexer = ["--indexer", devnet.storage!.indexerUrl]
    const files = yield* writeJourneyFiles(dir)
    print(`\n(a small dataset and training config were written to ${dir}, removed when the journey ends)`)
    yield* step(
      "Acknowledge the fine-tuning provider (its quote must bind the on-chain signer; a devnet quote needs --allow-devnet); open a 1.5 0G sub-account",
      ["fine-tuning", "ack-provider", "--provider", ft, "--fund", "1.5", "--allow-devnet"],
    )
    const uploaded = JSON.parse(
      yield* step("Upload the dataset to 0G Storage (root computed locally, Flow fee paid once)", [
        "storage",
        "upload",
        files.dataset,
        ...indexer,
        "--json",
      ]),
    ) as { root: string }
    yield* step("Download it back by root: every segment proof and the root are verified", [
      "storage",
      "download",
      uploaded.root,
      join(dir, "roundtrip.jsonl"),
      ...indexer,
    ])
    yield* step("Fine-tune on it: task → progress → download, verify and acknowledge the model → decrypt", [
      "fine-tuning",
      "run",
      "--provider",
      ft,
      "--dataset",
      files.dataset,
      "--model",
      "mock-model",
      "--config",
      files.config,
      "--out",
      join(dir, "out"),
      ...indexer,
    ])
    yield* step("The ledger with its six sub-accounts", ["ledger", "show"])
    yield* step("Retrieve: starts the refund lock on every sub-account", ["ledger", "retrieve"])
    yield* step("Time passes on the devnet: 24 h and 1 s", ["devnet", "advance-time", "86401"])
    yield* step("Retrieve again: the unlocked refunds return to the ledger", ["ledger", "retrieve"])
    yield* step("Everything is available again", ["ledger", "show"])
    // The exact balance to withdraw, read quietly as JSON.
    const before = ledgerJson((yield* runCli([...net, "ledger", "show", "--json"], env, false)).stdout)
    yield* step("Withdraw everything to the wallet (deletes the ledger)", [
      "ledger",
      "refund",
      formatZG(BigInt(before.ledger.available)),
    ])
    yield* step("The ledger is gone", ["ledger", "show"], true)
    print(
      `\nSummary: ledger created and funded; inference provider attested, acknowledged and answered with verified responses; ` +
        "a dataset stored in 0G Storage and read back verified; a model fine-tuned on it, verified, acknowledged and decrypted; " +
        `${formatZG(BigInt(before.ledger.total))} 0G came back from six provider sub-accounts after the refund lock and was ` +
        `withdrawn in full; a centralized provider's routing proof verified, a standard provider used only when ` +
        `unverifiable answers were asked for, an image and a transcript verified; ${n} CLI steps on devnet ${devnet.rpcUrl}.`,
    )
    return n
  })

export const journeyCommand = Command.make("journey", {}, () =>
  withErrors(
    Effect.gen(function* () {
      yield* globals
      const io = yield* CliIO
      const print = (s: string) => io.stdout(`${s}\n`)
      print("Starting the embedded devnet (anvil + 0G compute contracts)…")
      const devnet = yield* startDevnetScoped({
        storage: true,
        inferenceProviders: 5,
        inferenceBrokers: [
          undefined,
          { providerType: "centralized" },
          { providerType: "standard" },
          { serviceType: "text-to-image" },
          { serviceType: "speech-to-text" },
        ],
        fineTuning: { stepDelayMs: 50, chunkSize: 1 << 20 },
      })
      yield* journey(devnet, print)
      print("Devnet stopped. Journey complete.")
    }).pipe(Effect.scoped),
  ),
).pipe(Command.withDescription("start the embedded devnet and walk the whole user journey through this CLI"))
