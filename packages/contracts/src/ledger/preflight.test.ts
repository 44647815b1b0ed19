import { chainLayerFromRpc } from "@0g-compute/core"
import { Effect, Layer } from "effect"
import { ZeroAddress } from "ethers"
import { describe, expect, it } from "vitest"
import { baseLayer, devAccount, E, runtimeOf, useDevnet } from "../testing/devnet.js"
import { moneyState } from "../testing/ledger-state.js"
import { TxEngine } from "../tx/engine.js"
import { Ledger } from "./service.js"

const devnet = useDevnet()

const L = <A, E>(f: (l: Ledger["Service"]) => Effect.Effect<A, E>) => Ledger.use(f)
const ledgerRuntime = (account: number) =>
  runtimeOf(Layer.provideMerge(Ledger.layer.pipe(Layer.provide(TxEngine.layer())), baseLayer(devnet, account)))

const me = devAccount(3).address
const P_INF = devAccount(4).address
const P_FT = devAccount(5).address
const FRIEND = devAccount(6).address
const watched = [P_INF, P_FT, me]

type Case = readonly [label: string, op: Effect.Effect<unknown, unknown, Ledger>, expected: Record<string, unknown>]

/** Runs each case, checking its typed error and that nothing at all changed on chain for the user. */
const expectAllRefusedWithoutTx = async (account: number, cases: ReadonlyArray<Case>) => {
  const user = devAccount(account).address
  const rt = ledgerRuntime(account)
  const before = await moneyState(devnet, user, watched)
  const block = await devnet.provider.getBlockNumber()
  for (const [label, op, expected] of cases) {
    const err = await rt.fail(op)
    expect(err, label).toMatchObject(expected)
    expect(err, label).toBeInstanceOf(Error)
    expect((err as Error).message.length, label).toBeGreaterThan(10)
  }
  expect(await moneyState(devnet, user, watched)).toEqual(before)
  expect(await devnet.provider.getBlockNumber()).toBe(block) // not even another account's tx was mined
}

describe("Ledger preflight: every refusal comes before any transaction and moves nothing", () => {
  it("with a funded ledger and one inference sub-account", async () => {
    const setup = ledgerRuntime(3)
    await setup.run(L((l) => l.add(E(5))))
    await setup.run(L((l) => l.transfer(P_INF, "inference", E(2)))) // available 3, total 5
    await setup.dispose()
    await expectAllRefusedWithoutTx(3, [
      ["add 0", L((l) => l.add(0n)), { _tag: "InvalidAmount" }],
      ["add negative", L((l) => l.add(-E(1))), { _tag: "InvalidAmount", input: "-1" }],
      ["add again", L((l) => l.add(E(5))), { _tag: "LedgerAlreadyExists", user: me }],
      ["deposit 0", L((l) => l.deposit(0n)), { _tag: "InvalidAmount" }],
      ["depositFor bad address", L((l) => l.depositFor("0x1234", E(3))), { _tag: "InvalidAddress", input: "0x1234" }],
      ["depositFor zero address", L((l) => l.depositFor(ZeroAddress, E(3))), { _tag: "InvalidAddress" }],
      [
        "depositFor creating a ledger below the minimum",
        L((l) => l.depositFor(FRIEND, E(1))),
        { _tag: "BelowMinimum", amount: E(1), minimum: E(3) },
      ],
      [
        "refund more than available",
        L((l) => l.refund(E(4))),
        { _tag: "InsufficientBalance", what: "available ledger balance", required: E(4), available: E(3) },
      ],
      [
        "refund stranding a remainder below the minimum",
        L((l) => l.refund(E("1.5"))),
        { _tag: "RefundWouldStrand", amount: E("1.5"), remaining: E("1.5"), minimum: E(3) },
      ],
      [
        "first transfer below MIN_TRANSFER_AMOUNT",
        L((l) => l.transfer(P_FT, "fine-tuning", E("0.5"))),
        { _tag: "BelowMinimum", amount: E("0.5"), minimum: E(1) },
      ],
      [
        "transfer beyond available (existing sub-account, no pending refund)",
        L((l) => l.transfer(P_INF, "inference", E(4))),
        { _tag: "InsufficientBalance", required: E(4), available: E(3) },
      ],
      [
        "transfer beyond available (new sub-account)",
        L((l) => l.transfer(P_FT, "fine-tuning", E("3.5"))),
        { _tag: "InsufficientBalance", required: E("3.5"), available: E(3) },
      ],
      [
        "transfer to self",
        L((l) => l.transfer(me.toLowerCase(), "inference", E(1))),
        { _tag: "ProviderIsSelf", provider: me },
      ],
      ["transfer 0", L((l) => l.transfer(P_INF, "inference", 0n)), { _tag: "InvalidAmount" }],
      [
        "unknown service type",
        L((l) => l.transfer(P_INF, "training", E(1))),
        { _tag: "InvalidServiceType", input: "training" },
      ],
      [
        "bad provider",
        L((l) => l.transfer("provider", "inference", E(1))),
        { _tag: "InvalidAddress", input: "provider" },
      ],
      ["retrieve unknown type", L((l) => l.retrieve("gpu")), { _tag: "InvalidServiceType" }],
      ["retrieve bad provider", L((l) => l.retrieve("inference", [P_INF, "0xnope"])), { _tag: "InvalidAddress" }],
      ["delete non-empty", L((l) => l.delete()), { _tag: "LedgerNotEmpty", total: E(5), available: E(3) }],
      ["list unknown type", L((l) => l.listSubAccounts("storage")), { _tag: "InvalidServiceType" }],
    ])
  })

  it("without a ledger", async () => {
    await expectAllRefusedWithoutTx(7, [
      ["add below minimum", L((l) => l.add(E("2.9"))), { _tag: "BelowMinimum", amount: E("2.9"), minimum: E(3) }],
      [
        "deposit creating a ledger below the minimum",
        L((l) => l.deposit(E(1))),
        { _tag: "BelowMinimum", amount: E(1), minimum: E(3) },
      ],
      [
        "additional info too long",
        L((l) => l.add(E(3), "é".repeat(2049))),
        { _tag: "AdditionalInfoTooLong", length: 4098, max: 4096 },
      ],
      ["refund", L((l) => l.refund(E(1))), { _tag: "LedgerNotFound", user: devAccount(7).address }],
      ["transfer", L((l) => l.transfer(P_INF, "inference", E(1))), { _tag: "LedgerNotFound" }],
      ["retrieve", L((l) => l.retrieve("inference")), { _tag: "LedgerNotFound" }],
      ["delete", L((l) => l.delete()), { _tag: "LedgerNotFound" }],
      ["get", L((l) => l.get()), { _tag: "LedgerNotFound" }],
    ])
  })

  it("when the wallet cannot pay value + gas", async () => {
    const poor = devAccount(8).address
    await devnet.rpc("anvil_setBalance", [poor, `0x${E(4).toString(16)}`])
    await expectAllRefusedWithoutTx(8, [
      ["add all", L((l) => l.add(E(4))), { _tag: "InsufficientBalance", what: "wallet balance", available: E(4) }],
      ["add more", L((l) => l.add(E(5))), { _tag: "InsufficientBalance", what: "wallet balance", required: E(5) }],
      ["depositFor", L((l) => l.depositFor(FRIEND, E(4))), { _tag: "InsufficientBalance", what: "wallet balance" }],
    ])
  })

  it("read-only: writes need a signer, reads of any address work", async () => {
    const setup = ledgerRuntime(3)
    await setup.run(L((l) => l.add(E(3))))
    await setup.dispose()
    const rt = runtimeOf(Layer.provide(Ledger.layerReadOnly, chainLayerFromRpc(devnet.rpcUrl, { network: "devnet" })))
    expect(await rt.run(L((l) => l.get(me)))).toMatchObject({ user: me, total: E(3) })
    expect(await rt.run(L((l) => Effect.succeed(l.address)))).toBeUndefined()
    expect(await rt.run(L((l) => l.limits))).toEqual({
      minAccountBalance: E(3),
      minTransferAmount: E(1),
      maxProvidersPerBatch: 20,
      maxAdditionalInfoLength: 4096,
    })
    expect(await rt.run(L((l) => l.service("fine-tuning")))).toEqual({
      serviceType: "fine-tuning",
      name: "fine-tuning-v1.0",
      address: devnet.addrs.fineTuning,
    })
    expect(await rt.fail(L((l) => l.add(E(3))))).toMatchObject({ _tag: "SignerRequired", operation: "ledger.add()" })
    expect(await rt.fail(L((l) => l.get()))).toMatchObject({ _tag: "SignerRequired" })
    expect(await rt.run(L((l) => l.listSubAccounts(undefined, me)))).toEqual([])
  })
})
