/** One import, every flow: the broker's three parts against a devnet, through the official `openai` client. */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { memoryTxJournal, TxEngine, type TxEngineOptions } from "@0g-compute/contracts"
import { Chain, NETWORKS } from "@0g-compute/core"
import { useStarted } from "@0g-compute/core/testing/hooks"
import { startStorageDevnet } from "@0g-compute/devnet/storage"
import { startTestDevnet } from "@0g-compute/devnet/testing"
import { FineTuningProviders } from "@0g-compute/fine-tuning"
import { Effect, Redacted } from "effect"
import { JsonRpcProvider, parseEther, Wallet } from "ethers"
import OpenAI from "openai"
import { describe, expect, it } from "vitest"
import { createBroker as createBrowserBroker, LedgerNotFound } from "./index.js"
import { createBroker } from "./node/index.js"

describe("createBroker", () => {
  const env = useStarted(async (onStop) => {
    const devnet = await startTestDevnet()
    onStop(() => devnet.stop())
    // Before account #9 sends anything, so the storage contracts land where the devnet preset pins them.
    const storage = await startStorageDevnet({ rpcUrl: devnet.rpcUrl })
    onStop(() => storage.stop())
    const dir = await mkdtemp(join(tmpdir(), "zg-broker-"))
    onStop(() => rm(dir, { recursive: true, force: true }))
    const provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true })
    onStop(() => provider.destroy())
    const user = devnet.accounts.users[0]!
    const broker = await createBroker(new Wallet(Redacted.value(user.privateKey), provider), {
      network: "devnet",
      privateKey: user.privateKey,
    })
    onStop(() => broker.close())
    return { devnet, storage, dir, provider, broker }
  }, 180_000)

  it("shares one wallet across ledger, inference and fine-tuning", async () => {
    expect(env.broker.address).toBe(env.devnet.accounts.users[0]!.address)
    expect(env.broker.ledger.address).toBe(env.broker.address)
    expect(env.broker.fineTuning.address).toBe(env.broker.address)
  })

  it("funds a ledger, acknowledges a provider and gets a verified chat through OpenAI", async () => {
    await env.broker.ledger.add("5")
    expect((await env.broker.ledger.get()).total).toBe(5n * 10n ** 18n)
    const p = env.devnet.inference[0]!.providerAddress
    const ack = await env.broker.inference.acknowledge(p, { allowDevnet: true, fund: "2" })
    expect(ack.onChain).toBe("created")
    const openai = new OpenAI(await env.broker.inference.openAIOptions(p))
    const completion = await openai.chat.completions.create({
      model: env.devnet.inference[0]!.model,
      messages: [{ role: "user", content: "one import" }],
    })
    expect(completion.choices[0]?.message.content).toBe("Echo: one import")
    expect(env.broker.inference.usageRecords().at(-1)?.verdict).toBe("Verified")
  })

  it("lists fine-tuning providers and rejects with typed errors", async () => {
    const services = await env.broker.fineTuning.listServices()
    expect(services.map((s) => s.provider)).toContain(env.devnet.services.fineTuning[0]!.provider.address)
    const err = await env.broker.ledger.refund("1000").catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err).toMatchObject({ _tag: "InsufficientBalance" })
  })

  it("is one connection: one provider and one transaction engine for the signer, whichever part sends", async () => {
    const same = await env.broker.run(
      Effect.gen(function* () {
        const engine = yield* TxEngine
        const chain = yield* Chain
        return { engine, chain }
      }),
    )
    const seen = await env.broker.inference.run(
      Effect.gen(function* () {
        return { engine: yield* TxEngine, chain: yield* Chain }
      }),
    )
    expect(seen.engine).toBe(same.engine)
    expect(seen.chain).toBe(same.chain)
  })

  it("sends concurrently from its parts over an RPC URL, each transaction with its own nonce", async () => {
    // A key-only wallet: each part used to open its own provider (and nonce counter) on the URL.
    const user = env.devnet.accounts.users[3]!
    const friend = env.devnet.accounts.users[4]!.address
    const b = await createBroker(new Wallet(Redacted.value(user.privateKey)), { rpcUrl: env.devnet.rpcUrl })
    try {
      await b.ledger.add("6")
      // Fine-tuning's services send through the same engine: its sub-account funding gets a nonce of its own too.
      const ftProvider = env.devnet.services.fineTuning[0]!.provider.address
      const [deposit, ack, gift, ftFund] = await Promise.all([
        b.ledger.deposit("1"),
        b.inference.acknowledge(env.devnet.inference[0]!.providerAddress, { allowDevnet: true, fund: "1" }),
        b.ledger.depositFor(friend, "3"),
        b.run(FineTuningProviders.use((p) => p.fund(ftProvider, 10n ** 18n))),
      ])
      expect(ack.onChain).toBe("created")
      expect(new Set([deposit.nonce, gift.nonce, ack.tx?.nonce, ftFund.nonce]).size).toBe(4)
      expect((await b.ledger.get()).total).toBe(7n * 10n ** 18n)
      expect((await b.ledger.get(friend)).total).toBe(3n * 10n ** 18n)
    } finally {
      await b.close()
    }
  })

  it("pays fine-tuning's storage upload through its one engine, next to a concurrent ledger deposit", async () => {
    const user = Wallet.createRandom()
    await env.provider.send("anvil_setBalance", [user.address, `0x${parseEther("100").toString(16)}`])
    // The broker hands its `tx` options to its engine: with a journal there, every transaction that engine signs is
    // recorded in it (an engine built anywhere else, like storage's own facade before, records elsewhere).
    const journal = memoryTxJournal()
    const tx: TxEngineOptions = { journal }
    const b = await createBroker(new Wallet(user.privateKey), {
      rpcUrl: env.devnet.rpcUrl,
      storageIndexer: env.storage.indexerUrl,
      tx,
    })
    try {
      const path = join(env.dir, "one-engine.jsonl")
      await writeFile(path, `${JSON.stringify({ text: "one nonce writer per signer" })}\n`)
      const ftProvider = env.devnet.services.fineTuning[0]!.provider.address
      const [uploaded, deposit] = await Promise.all([b.fineTuning.uploadDataset(ftProvider, path), b.ledger.add("3")])
      expect(uploaded.via).toBe("storage")
      expect(await b.run(TxEngine.use((e) => Effect.succeed(e.journal)))).toBe(journal)
      const entries = await Effect.runPromise(journal.entries)
      const flow = NETWORKS.devnet.storageContracts?.flow.toLowerCase()
      expect(entries.find((e) => e.to.toLowerCase() === flow)?.resolved?.outcome).toBe("mined")
      expect(entries.map((e) => e.nonce).sort((x, y) => x - y)).toEqual([0, 1])
      expect(entries.map((e) => e.nonce)).toContain(deposit.nonce)
      // Nothing else left this address: the upload's payment and the deposit were its only transactions.
      expect(await env.provider.getTransactionCount(user.address, "latest")).toBe(2)
    } finally {
      await b.close()
    }
  })

  it("a fine-tuning storage failure reaches the caller typed, before anything is paid", async () => {
    const user = Wallet.createRandom()
    const b = await createBroker(new Wallet(user.privateKey), {
      rpcUrl: env.devnet.rpcUrl,
      storageIndexer: "http://127.0.0.1:9",
    })
    try {
      const path = join(env.dir, "unpaid.jsonl")
      await writeFile(path, `${JSON.stringify({ text: "never paid" })}\n`)
      const err = await b.fineTuning
        .uploadDataset(env.devnet.services.fineTuning[0]!.provider.address, path)
        .catch((e: unknown) => e)
      expect(err).toMatchObject({ _tag: "StorageTransferFailed", operation: "upload", cause: { _tag: "NodeRpcError" } })
      expect(await env.provider.getTransactionCount(user.address, "latest")).toBe(0)
    } finally {
      await b.close()
    }
  })

  it("refuses a chain that does not match the requested network", async () => {
    const err = await createBroker(new Wallet(Redacted.value(env.devnet.accounts.users[1]!.privateKey), env.provider), {
      network: "mainnet",
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ _tag: "ChainMismatch", expected: 16661n, actual: 31337n })
  })

  it("the default (browser-safe) entry's createBroker gives ledger and inference for one signer", async () => {
    const user = env.devnet.accounts.users[2]!
    const light = await createBrowserBroker(new Wallet(Redacted.value(user.privateKey), env.provider), {
      network: "devnet",
    })
    try {
      expect(light.address).toBe(user.address)
      expect(Object.keys(light).sort()).toEqual(["address", "close", "inference", "ledger"])
      const err = await light.ledger.get().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(LedgerNotFound)
      const services = await light.inference.listAllServices()
      expect(services.map((s) => s.provider)).toContain(env.devnet.inference[0]!.providerAddress)
    } finally {
      await light.close()
    }
  })
})
