/** One import, every flow: the broker's three parts against a devnet, through the official `openai` client. */
import { TxEngine } from "@0g-compute/contracts"
import { Chain } from "@0g-compute/core"
import { type Devnet, startDevnet } from "@0g-compute/devnet"
import { FineTuningProviders } from "@0g-compute/fine-tuning"
import { Effect, Redacted } from "effect"
import { JsonRpcProvider, Wallet } from "ethers"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createBroker as createBrowserBroker, LedgerNotFound } from "./index.js"
import { type Broker, createBroker } from "./node/index.js"

describe("createBroker", () => {
  let devnet: Devnet
  let broker: Broker
  let provider: JsonRpcProvider
  beforeAll(async () => {
    devnet = await startDevnet({ inference: { settleIntervalMs: 0 } })
    provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true })
    const user = devnet.accounts.users[0]!
    broker = await createBroker(new Wallet(Redacted.value(user.privateKey), provider), {
      network: "devnet",
      privateKey: user.privateKey,
    })
  })
  afterAll(async () => {
    await broker?.close()
    provider?.destroy()
    await devnet?.stop()
  })

  it("shares one wallet across ledger, inference and fine-tuning", async () => {
    expect(broker.address).toBe(devnet.accounts.users[0]!.address)
    expect(broker.ledger.address).toBe(broker.address)
    expect(broker.fineTuning.address).toBe(broker.address)
  })

  it("funds a ledger, acknowledges a provider and gets a verified chat through OpenAI", async () => {
    await broker.ledger.add("5")
    expect((await broker.ledger.get()).total).toBe(5n * 10n ** 18n)
    const p = devnet.inference[0]!.providerAddress
    const ack = await broker.inference.acknowledge(p, { allowDevnet: true, fund: "2" })
    expect(ack.onChain).toBe("created")
    const openai = new OpenAI(await broker.inference.openAIOptions(p))
    const completion = await openai.chat.completions.create({
      model: devnet.inference[0]!.model,
      messages: [{ role: "user", content: "one import" }],
    })
    expect(completion.choices[0]?.message.content).toBe("Echo: one import")
    expect(broker.inference.usageRecords().at(-1)?.verdict).toBe("Verified")
  })

  it("lists fine-tuning providers and rejects with typed errors", async () => {
    const services = await broker.fineTuning.listServices()
    expect(services.map((s) => s.provider)).toContain(devnet.services.fineTuning[0]!.provider.address)
    const err = await broker.ledger.refund("1000").catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err).toMatchObject({ _tag: "InsufficientBalance" })
  })

  it("is one connection: one provider and one transaction engine for the signer, whichever part sends", async () => {
    const same = await broker.run(
      Effect.gen(function* () {
        const engine = yield* TxEngine
        const chain = yield* Chain
        return { engine, chain }
      }),
    )
    const seen = await broker.inference.run(
      Effect.gen(function* () {
        return { engine: yield* TxEngine, chain: yield* Chain }
      }),
    )
    expect(seen.engine).toBe(same.engine)
    expect(seen.chain).toBe(same.chain)
  })

  it("sends concurrently from its parts over an RPC URL, each transaction with its own nonce", async () => {
    // A key-only wallet: each part used to open its own provider (and nonce counter) on the URL.
    const user = devnet.accounts.users[3]!
    const friend = devnet.accounts.users[4]!.address
    const b = await createBroker(new Wallet(Redacted.value(user.privateKey)), { rpcUrl: devnet.rpcUrl })
    try {
      await b.ledger.add("6")
      // Fine-tuning's services send through the same engine: its sub-account funding gets a nonce of its own too.
      const ftProvider = devnet.services.fineTuning[0]!.provider.address
      const [deposit, ack, gift, ftFund] = await Promise.all([
        b.ledger.deposit("1"),
        b.inference.acknowledge(devnet.inference[0]!.providerAddress, { allowDevnet: true, fund: "1" }),
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

  it("refuses a chain that does not match the requested network", async () => {
    const err = await createBroker(new Wallet(Redacted.value(devnet.accounts.users[1]!.privateKey), provider), {
      network: "mainnet",
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ _tag: "ChainMismatch", expected: 16661n, actual: 31337n })
  })

  it("the default (browser-safe) entry's createBroker gives ledger and inference for one signer", async () => {
    const user = devnet.accounts.users[2]!
    const light = await createBrowserBroker(new Wallet(Redacted.value(user.privateKey), provider), {
      network: "devnet",
    })
    try {
      expect(light.address).toBe(user.address)
      expect(Object.keys(light).sort()).toEqual(["address", "close", "inference", "ledger"])
      const err = await light.ledger.get().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(LedgerNotFound)
      const services = await light.inference.listAllServices()
      expect(services.map((s) => s.provider)).toContain(devnet.inference[0]!.providerAddress)
    } finally {
      await light.close()
    }
  })
})
