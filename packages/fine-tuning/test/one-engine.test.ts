/**
 * One nonce writer per signer (issue 12): fine-tuning's dataset upload to 0G Storage pays the Flow through the
 * connection stack's own transaction engine, so a ledger deposit sent at the same time from the same stack gets the
 * next nonce of the same engine. The stack is built as `createBroker` builds it (`fineTuningLayerOn` over
 * `connectionStackLayer`), with its engine's journal given explicitly: every transaction that engine signs is
 * recorded there, and an engine built elsewhere (the storage facade's, before) records in another.
 */
import { connectionStackLayer, Ledger, memoryTxJournal } from "@0g-compute/contracts"
import { makeFacadeRuntime } from "@0g-compute/core"
import { Effect, Redacted } from "effect"
import { parseEther, Wallet } from "ethers"
import { describe, expect, it } from "vitest"
import { FineTuningFiles, fineTuningLayerOn } from "../src/node/index.js"
import { PROVIDER, useHarness } from "../src/testing/harness.js"

describe("fine-tuning's storage upload on the connection stack", () => {
  const h = useHarness({}, true)

  it("pays the Flow through the stack's one engine while a ledger deposit sends concurrently", async () => {
    const wallet = new Wallet(Wallet.createRandom().privateKey)
    await h.rpc.send("anvil_setBalance", [wallet.address, `0x${parseEther("100").toString(16)}`])
    const journal = memoryTxJournal()
    const flow = h.storage?.flowAddress ?? ""
    const stack = connectionStackLayer({
      privateKey: Redacted.make(wallet.privateKey),
      rpcUrl: h.devnet.rpcUrl,
      contracts: h.devnet.addresses,
      tx: { journal },
    })
    const storage = { indexerUrl: h.storage?.indexerUrl ?? "", flowAddress: flow, pollIntervalMs: 20 }
    const runtime = makeFacadeRuntime(fineTuningLayerOn(stack, { storage }))
    try {
      const path = await h.datasetFile("one-engine.jsonl", `${JSON.stringify({ text: "one engine per signer" })}\n`)
      const [uploaded, deposit] = await runtime.run(
        Effect.all(
          [FineTuningFiles.use((f) => f.uploadDataset(PROVIDER, path)), Ledger.use((l) => l.add(parseEther("3")))],
          { concurrency: 2 },
        ),
      )
      expect(uploaded.via).toBe("storage")

      const entries = await Effect.runPromise(journal.entries)
      const submit = entries.find((e) => e.to.toLowerCase() === flow.toLowerCase())
      // The Flow submit was signed by the stack's engine (it is in that engine's journal)…
      expect(submit?.resolved?.outcome).toBe("mined")
      expect(entries.map((e) => e.resolved?.outcome)).toEqual(["mined", "mined"])
      // …next to the deposit, one nonce after the other, and the signer sent nothing else.
      const nonces = entries.map((e) => e.nonce).sort((a, b) => a - b)
      expect(nonces).toEqual([0, 1])
      expect(nonces).toContain(deposit.nonce)
      expect(await h.rpc.getTransactionCount(wallet.address, "latest")).toBe(2)
      const mined = await h.rpc.getTransaction(submit?.resolved?.hash ?? "")
      expect(mined?.nonce).toBe(submit?.nonce)
    } finally {
      await runtime.dispose()
    }
  })

  it("a storage failure reaches the caller typed, before anything is paid", async () => {
    const wallet = new Wallet(Wallet.createRandom().privateKey)
    await h.rpc.send("anvil_setBalance", [wallet.address, `0x${parseEther("100").toString(16)}`])
    const journal = memoryTxJournal()
    const stack = connectionStackLayer({
      privateKey: Redacted.make(wallet.privateKey),
      rpcUrl: h.devnet.rpcUrl,
      contracts: h.devnet.addresses,
      tx: { journal },
    })
    // A Flow the storage nodes do not serve: paying it would be paying a contract the nodes never read.
    const elsewhere = Wallet.createRandom().address
    const storage = { indexerUrl: h.storage?.indexerUrl ?? "", flowAddress: elsewhere, pollIntervalMs: 20 }
    const runtime = makeFacadeRuntime(fineTuningLayerOn(stack, { storage }))
    try {
      const path = await h.datasetFile("elsewhere.jsonl", `${JSON.stringify({ text: "not paid" })}\n`)
      const e = await runtime.run(FineTuningFiles.use((f) => f.uploadDataset(PROVIDER, path))).catch((x: unknown) => x)
      expect(e).toMatchObject({
        _tag: "StorageTransferFailed",
        operation: "upload",
        cause: { _tag: "FlowAddressMismatch", expected: elsewhere },
      })
      expect(await Effect.runPromise(journal.entries)).toEqual([])
      expect(await h.rpc.getTransactionCount(wallet.address, "latest")).toBe(0)
    } finally {
      await runtime.dispose()
    }
  })
})
