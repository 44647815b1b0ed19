import { deployContracts, startAnvil } from "@0g-compute/contracts/node"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createInferenceClient } from "./facade.js"

let anvil: Awaited<ReturnType<typeof startAnvil>>
let contracts: Awaited<ReturnType<typeof deployContracts>>

beforeAll(async () => {
  anvil = await startAnvil()
  contracts = await deployContracts({ rpcUrl: anvil.rpcUrl })
})
afterAll(async () => {
  await anvil?.stop()
})

describe("createInferenceClient", () => {
  it("without a signer or key rejects with the typed SignerRequired (a program can act on it), not a TypeError", async () => {
    const options = {
      rpcUrl: anvil.rpcUrl,
      contracts: { ledger: contracts.ledger, inference: contracts.inference, fineTuning: contracts.fineTuning },
    }
    const failure = await createInferenceClient(options).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(failure).toMatchObject({ _tag: "SignerRequired" })
    expect(failure).not.toBeInstanceOf(TypeError)
    expect(String((failure as Error).message)).toMatch(/needs a signer/)
  })
})
