/**
 * The one import re-exports the underlying packages' own bindings: an error thrown deep inside a package is
 * `instanceof` the class a user imported from `@0g-compute/sdk`, on both entries.
 */
import * as contracts from "@0g-compute/contracts"
import * as core from "@0g-compute/core"
import * as fineTuning from "@0g-compute/fine-tuning"
import * as inference from "@0g-compute/inference"
import * as storage from "@0g-compute/storage"
import * as storageNode from "@0g-compute/storage/node"
import { describe, expect, expectTypeOf, it } from "vitest"
import * as sdk from "./index.js"
import * as sdkNode from "./node/index.js"

/** sdk name → [package, name there], for the bindings renamed on the way out. */
const RENAMED: Record<string, readonly [Record<string, unknown>, string]> = {
  parseZG: [core, "parseZGSync"],
  FineTuningProviderUnreachable: [fineTuning, "ProviderUnreachable"],
  FineTuningMalformedProviderResponse: [fineTuning, "MalformedProviderResponse"],
  FineTuningProviderNotAcknowledged: [fineTuning, "ProviderNotAcknowledged"],
}
const PACKAGES: ReadonlyArray<Record<string, unknown>> = [inference, contracts, core, fineTuning, storage]

/** The package binding an sdk export stands for (first package that has the name, inference before fine-tuning). */
const origin = (name: string): unknown => {
  const renamed = RENAMED[name]
  if (renamed) return renamed[0][renamed[1]]
  return PACKAGES.find((p) => name in p)?.[name]
}

/** The node entry's own versions (with fine-tuning, with file methods) of these two. */
const NODE_OWN = new Set(["createBroker", "createStorageClient"])
const values = (m: Record<string, unknown>) => Object.keys(m).filter((k) => k !== "createBroker")

describe("@0g-compute/sdk re-exports", () => {
  it("every value export other than createBroker is the underlying package's own binding", () => {
    const names = values(sdk)
    expect(names.length).toBeGreaterThan(80)
    for (const name of names)
      expect({ name, same: origin(name) === (sdk as Record<string, unknown>)[name] }).toEqual({ name, same: true })
  })

  it("every error class of core, contracts, inference, fine-tuning and storage is re-exported (a new error must be added)", () => {
    const exported = new Set<unknown>(Object.values(sdk))
    const missing = Object.entries({ core, contracts, inference, fineTuning, storage }).flatMap(([pkg, m]) =>
      Object.entries(m as Record<string, unknown>)
        .filter(([, v]) => typeof v === "function" && v.prototype instanceof Error && !exported.has(v))
        .map(([name]) => `${pkg}.${name}`),
    )
    expect(missing).toEqual([])
  })

  it("exports the facades' one shape, createXClient(options), with the ledger's old LedgerClient.connect kept", () => {
    expect(sdk.createLedgerClient).toBe(contracts.createLedgerClient)
    expect(sdkNode.createLedgerClient).toBe(contracts.createLedgerClient)
    expect(sdk.createInferenceClient).toBe(inference.createInferenceClient)
    expect(typeof sdk.LedgerClient.connect).toBe("function")
    expect(contracts.LedgerClient.on).toBe(contracts.ledgerClientOn)
    expect(sdk.createStorageClient).toBe(storage.createStorageClient)
    expect(sdkNode.createStorageClient).toBe(storageNode.createStorageClient)
  })

  it("the node entry exports the same bindings as the default entry, plus its full createBroker and storage client", () => {
    expect(values(sdkNode).sort()).toEqual(values(sdk).sort())
    for (const name of values(sdk).filter((n) => !NODE_OWN.has(n)))
      expect((sdkNode as Record<string, unknown>)[name]).toBe((sdk as Record<string, unknown>)[name])
    expect(sdkNode.createBroker).not.toBe(sdk.createBroker)
    expect(sdkNode.createStorageClient).not.toBe(sdk.createStorageClient)
  })

  it("errors made by the packages are instanceof the sdk classes and keep their _tag", () => {
    const cases: ReadonlyArray<readonly [unknown, new (...args: never[]) => unknown, string]> = [
      [new core.BelowMinimum({ what: "x", amount: 1n, minimum: 2n }), sdk.BelowMinimum, "BelowMinimum"],
      [new core.InvalidAmount({ input: "-1", reason: "negative" }), sdkNode.InvalidAmount, "InvalidAmount"],
      [new contracts.LedgerNotFound({ user: "0x0" }), sdk.LedgerNotFound, "LedgerNotFound"],
      [
        new inference.InsufficientSubAccountBalance({ provider: "0x0", required: 2n, available: 1n }),
        sdkNode.InsufficientSubAccountBalance,
        "InsufficientSubAccountBalance",
      ],
      [
        new inference.ProviderUnreachable({ provider: "0x0", url: "u", cause: "c" }),
        sdk.ProviderUnreachable,
        "ProviderUnreachable",
      ],
      [
        new fineTuning.ProviderUnreachable({ provider: "0x0", url: "u", cause: "c" }),
        sdk.FineTuningProviderUnreachable,
        "ProviderUnreachable",
      ],
      [new fineTuning.ProviderBusy({ provider: "0x0", pending: 1, detail: "d" }), sdkNode.ProviderBusy, "ProviderBusy"],
    ]
    for (const [err, cls, tag] of cases) {
      expect(err).toBeInstanceOf(cls)
      expect(err).toBeInstanceOf(Error)
      expect(err).toMatchObject({ _tag: tag })
      expect(sdk.isZgError(err)).toBe(true)
    }
    // One provider error catalogue (core): inference and fine-tuning raise the same classes, so one catch serves both.
    expect(fineTuning.ProviderUnreachable).toBe(inference.ProviderUnreachable)
    expect(fineTuning.MalformedProviderResponse).toBe(core.MalformedProviderResponse)
    expect(fineTuning.ProviderNotAcknowledged).toBe(inference.ProviderNotAcknowledged)
    expect(new fineTuning.ProviderUnreachable({ provider: "0x0", url: "u", cause: "c" })).toBeInstanceOf(
      sdk.ProviderUnreachable,
    )
  })

  it("the verifying fetch's error union and its guard are inference's own, on both entries", () => {
    expectTypeOf<sdk.InferenceFetchError>().toEqualTypeOf<inference.InferenceFetchError>()
    expectTypeOf<sdkNode.InferenceFetchError>().toEqualTypeOf<inference.InferenceFetchError>()
    expect(sdkNode.isInferenceFetchError).toBe(inference.isInferenceFetchError)
    const tampered = new inference.ResponseTampered({ provider: "0x0", chatId: "c", signedHash: "a", actualHash: "b" })
    expect(sdk.isInferenceFetchError(tampered)).toBe(true)
    expect(sdk.isInferenceFetchError(new core.InvalidAmount({ input: "-1", reason: "negative" }))).toBe(false)
  })

  it("the amount helpers round-trip and parseZG throws the typed error", () => {
    expect(sdk.parseZG("1.5")).toBe(1_500_000_000_000_000_000n)
    expect(sdk.formatZG(sdk.parseZG("3.000000000000000001"))).toBe("3.000000000000000001")
    expect(sdk.NEURON_PER_ZG).toBe(10n ** 18n)
    const err = (() => {
      try {
        sdk.parseZG("1e3")
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(sdk.InvalidAmount)
    expect(sdk.NETWORKS.testnet.chainId).toBe(16602n)
    expect(sdk.isNetworkName("devnet")).toBe(true)
  })
})
