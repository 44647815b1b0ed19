import { makeFacadeRuntime } from "@0g-compute/core"
import { failure } from "@0g-compute/core/testing"
import { Redacted } from "effect"
import { Wallet as EthersWallet } from "ethers"
import { describe, expect, it } from "vitest"
import { connectionStackLayer } from "../connection.js"
import { devAccount, E, useDevnet } from "../testing/devnet.js"
import { createLedgerClient, LedgerClient, ledgerClientOn } from "./facade.js"

const devnet = useDevnet()

const user = devAccount(3)
const P_INF = devAccount(4).address

describe("createLedgerClient → LedgerClient (Promise facade)", () => {
  it("runs the ledger with decimal 0G strings or bigint neuron", async () => {
    const client = await createLedgerClient({ privateKey: Redacted.make(user.privateKey), rpcUrl: devnet.rpcUrl })
    try {
      expect(client.address).toBe(user.address)
      const added = await client.add("3.5", "via facade")
      expect(added.hash).toMatch(/^0x[0-9a-f]{64}$/)
      expect(added.fee).toBe(added.gasUsed * added.effectiveGasPrice)
      await client.deposit(E("0.5"))
      await client.transfer(P_INF, "inference", "1")
      expect(await client.get()).toEqual({
        user: user.address,
        total: E(4),
        available: E(3),
        locked: E(1),
        additionalInfo: "via facade",
      })
      const [sub] = await client.listSubAccounts("inference")
      expect(sub).toMatchObject({ provider: P_INF, balance: E(1), serviceName: "inference-v1.0" })
      expect((await client.limits()).minAccountBalance).toBe(E(3))
    } finally {
      await client.close()
    }
  })

  it("rejects with Errors carrying the typed error's _tag and fields", async () => {
    const client = await createLedgerClient({ privateKey: user.privateKey, rpcUrl: devnet.rpcUrl, network: "devnet" })
    try {
      const nonce = await devnet.provider.getTransactionCount(user.address)
      const badAmount = await failure(client.add("1.2.3"))
      expect(badAmount).toBeInstanceOf(Error)
      expect(badAmount).toMatchObject({ _tag: "InvalidAmount", input: "1.2.3" })

      const noLedger = await failure(client.refund("1"))
      expect(noLedger).toBeInstanceOf(Error)
      expect(noLedger).toMatchObject({ _tag: "LedgerNotFound", user: user.address })
      expect(noLedger.message).toBe(`No ledger exists for ${user.address}; create one with \`ledger.add(amount)\``)

      const below = await failure(client.add("2"))
      expect(below).toMatchObject({ _tag: "BelowMinimum", amount: E(2), minimum: E(3) })
      expect(below.message).toBe("Initial ledger deposit of 2 0G is below the on-chain minimum of 3 0G")

      await client.add(3n * 10n ** 18n)
      const self = await failure(client.transfer(user.address, "inference", "1"))
      expect(self).toMatchObject({ _tag: "ProviderIsSelf", provider: user.address })
      const short = await failure(client.refund("10"))
      expect(short).toMatchObject({ _tag: "InsufficientBalance", required: E(10), available: E(3) })
      expect(await devnet.provider.getTransactionCount(user.address)).toBe(nonce + 1) // only the add
    } finally {
      await client.close()
    }
  })

  it("accepts any ethers signer, connecting one without a provider to the chain", async () => {
    const client = await createLedgerClient({ signer: new EthersWallet(user.privateKey), rpcUrl: devnet.rpcUrl })
    try {
      await client.add("3")
      expect((await client.get()).total).toBe(E(3))
    } finally {
      await client.close()
    }
  })

  it("is read-only without a key, and fails fast on bad configuration without leaking the key", async () => {
    const reader = await createLedgerClient({ rpcUrl: devnet.rpcUrl })
    try {
      expect(reader.address).toBeUndefined()
      expect(await failure(reader.add("3"))).toMatchObject({ _tag: "SignerRequired" })
      expect(await failure(reader.get(user.address))).toMatchObject({ _tag: "LedgerNotFound" })
    } finally {
      await reader.close()
    }
    const badKey = `0x${"zz".repeat(32)}`
    const keyErr = await failure(createLedgerClient({ privateKey: badKey, rpcUrl: devnet.rpcUrl }))
    expect(keyErr).toMatchObject({ _tag: "InvalidPrivateKey" })
    expect(JSON.stringify({ ...keyErr, message: keyErr.message })).not.toContain("zz".repeat(32))
    const wrongNet = await failure(createLedgerClient({ rpcUrl: devnet.rpcUrl, network: "mainnet" }))
    expect(wrongNet).toMatchObject({ _tag: "ChainMismatch", expected: 16661n, actual: 31337n })
    expect(await failure(createLedgerClient({}))).toMatchObject({ _tag: "ConnectionRequired" })
  })

  it("keeps the deprecated LedgerClient.connect / LedgerClient.on working: the same client as createLedgerClient", async () => {
    const legacy = await LedgerClient.connect({ privateKey: user.privateKey, rpcUrl: devnet.rpcUrl })
    try {
      expect(legacy).toBeInstanceOf(LedgerClient)
      expect(legacy.address).toBe(user.address)
      expect((await legacy.limits()).minAccountBalance).toBe(E(3))
    } finally {
      await legacy.close()
    }
    const stack = connectionStackLayer({ privateKey: user.privateKey, rpcUrl: devnet.rpcUrl })
    const viaOn = await LedgerClient.on(makeFacadeRuntime(stack))
    try {
      expect(viaOn).toBeInstanceOf(LedgerClient)
      expect(viaOn.address).toBe(user.address)
    } finally {
      await viaOn.close()
    }
    // instanceof holds only for clients made here, not for look-alikes
    expect({ ...viaOn }).not.toBeInstanceOf(LedgerClient)
  })

  it("ledgerClientOn runs on a given runtime and disposes it when connecting fails", async () => {
    const stack = connectionStackLayer({ privateKey: user.privateKey, rpcUrl: devnet.rpcUrl })
    const client = await ledgerClientOn(makeFacadeRuntime(stack))
    try {
      expect(client.address).toBe(user.address)
      expect((await client.limits()).minAccountBalance).toBe(E(3))
    } finally {
      await client.close()
    }
    let disposed = 0
    const failing = makeFacadeRuntime(connectionStackLayer({ privateKey: "0x12", rpcUrl: devnet.rpcUrl }))
    const watched = {
      run: failing.run,
      dispose: () => {
        disposed += 1
        return failing.dispose()
      },
    }
    expect(await failure(ledgerClientOn(watched))).toMatchObject({ _tag: "InvalidPrivateKey" })
    expect(disposed).toBe(1)
  })
})
