/**
 * `0g-compute doctor`: is this setup usable? One verdict per check, never a stack trace.
 * Checks: RPC reachable, chain id vs preset, contracts deployed and registered, providers reachable, key, balances.
 */

import { formatZG, parseNetwork, RpcError } from "@0g-compute/core/light"
import { Effect, Layer, Option } from "effect"
import { Command } from "effect/cli"
import { chainLayer, loadKey, signingLayer } from "../context.js"
import { CliIO } from "../io.js"
import * as lazy from "../lazy.js"
import { makePrinter, table } from "../output.js"
import { failureMessage, withGlobals } from "./root.js"

type Verdict = "ok" | "warn" | "fail"
interface Check {
  readonly check: string
  readonly verdict: Verdict
  readonly detail: string
}

/** A chain read; a failure is an RpcError naming the JSON-RPC method. */
const rpc = <A>(method: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (cause) => new RpcError({ method, cause }) })

const plainLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? ""

/** A provider counts as reachable when its base URL answers HTTP at all within a few seconds. */
const reachable = (url: string) =>
  Effect.tryPromise({
    try: async () => {
      const res = await fetch(`${url}/v1/quote`, { signal: AbortSignal.timeout(3000) })
      return res.status
    },
    catch: plainLine,
  }).pipe(Effect.result)

const chainChecks = Effect.gen(function* () {
  const { Chain } = yield* lazy.core
  const { fineTuningServing, inferenceServing, ledgerManager } = yield* lazy.contracts
  const chain = yield* Chain
  const checks: Check[] = [{ check: "rpc", verdict: "ok", detail: `reachable, chain id ${chain.chainId}` }]
  checks.push(
    chain.network
      ? { check: "chain id", verdict: "ok", detail: `matches preset ${chain.network.name}` }
      : { check: "chain id", verdict: "warn", detail: "custom chain with explicit contract addresses" },
  )
  const code = yield* Effect.forEach(Object.entries(chain.contracts), ([name, address]) =>
    rpc("eth_getCode", () => chain.provider.getCode(address)).pipe(
      Effect.map((c) => [name, address, c !== "0x"] as const),
    ),
  )
  const missing = code.filter(([, , present]) => !present)
  checks.push(
    missing.length === 0
      ? { check: "contracts", verdict: "ok", detail: "ledger, inference and fine-tuning deployed" }
      : {
          check: "contracts",
          verdict: "fail",
          detail: `no code at ${missing.map(([n, a]) => `${n} ${a}`).join(", ")}`,
        },
  )
  if (missing.length > 0) return checks

  const ledger = ledgerManager(chain.contracts.ledger, chain.provider)
  const names = yield* rpc("LedgerManager.getServiceInfo", async () =>
    Promise.all(
      [chain.contracts.inference, chain.contracts.fineTuning].map(
        async (a) => (await ledger.getServiceInfo(a)).fullName,
      ),
    ),
  )
  checks.push(
    names.every((n) => n !== "")
      ? { check: "registry", verdict: "ok", detail: `services registered as ${names.join(", ")}` }
      : { check: "registry", verdict: "fail", detail: "a configured serving contract is not registered in the ledger" },
  )

  const [inf] = yield* rpc("InferenceServing.getAllServices", () =>
    inferenceServing(chain.contracts.inference, chain.provider).getAllServices(0, 50),
  )
  const ft = yield* rpc("FineTuningServing.getAllServices", () =>
    fineTuningServing(chain.contracts.fineTuning, chain.provider).getAllServices(),
  )
  const urls = [
    ...inf.map((s) => ["inference", s.provider, s.url] as const),
    ...ft.map((s) => ["fine-tuning", s.provider, s.url] as const),
  ]
  const probes = yield* Effect.forEach(
    urls,
    ([kind, provider, url]) => Effect.map(reachable(url), (r) => ({ kind, provider, url, r })),
    {
      concurrency: 8,
    },
  )
  const down = probes.filter((p) => p.r._tag === "Failure")
  checks.push(
    probes.length === 0
      ? { check: "providers", verdict: "warn", detail: "no providers registered" }
      : down.length === 0
        ? { check: "providers", verdict: "ok", detail: `${probes.length} reachable` }
        : {
            check: "providers",
            verdict: "warn",
            detail: `${down.length} of ${probes.length} unreachable: ${down.map((d) => `${d.kind} ${d.url}`).join(", ")}`,
          },
  )
  return checks
})

const keyChecks = Effect.gen(function* () {
  const { Chain, Wallet } = yield* lazy.core
  const { Ledger } = yield* lazy.contracts
  const chain = yield* Chain
  const wallet = yield* Wallet
  const balance = yield* rpc("eth_getBalance", () => chain.provider.getBalance(wallet.address))
  const checks: Check[] = [
    { check: "key", verdict: "ok", detail: `loaded for ${wallet.address}` },
    { check: "wallet balance", verdict: balance > 0n ? "ok" : "warn", detail: `${formatZG(balance)} 0G` },
  ]
  const ledger = yield* Ledger
  const info = yield* ledger.get().pipe(Effect.option)
  checks.push(
    Option.isSome(info)
      ? {
          check: "ledger",
          verdict: "ok",
          detail: `${formatZG(info.value.total)} 0G total, ${formatZG(info.value.available)} 0G available`,
        }
      : {
          check: "ledger",
          verdict: "warn",
          detail: "no ledger yet (create one with `0g-compute ledger add <amount>`)",
        },
  )
  return checks
})

export const doctorCommand = Command.make("doctor", {}, () =>
  withGlobals((g) =>
    Effect.gen(function* () {
      const checks: Check[] = []
      const network = yield* parseNetwork(g.network).pipe(Effect.result)
      if (network._tag === "Failure")
        checks.push({ check: "network", verdict: "fail", detail: yield* failureMessage(network.failure) })
      else {
        const chainPart = yield* chainChecks.pipe(Effect.provide(chainLayer(g)), Effect.result)
        if (chainPart._tag === "Failure")
          checks.push({ check: "rpc", verdict: "fail", detail: yield* failureMessage(chainPart.failure) })
        else checks.push(...chainPart.success)
        const key = yield* loadKey(g).pipe(Effect.result)
        if (key._tag === "Failure")
          checks.push({ check: "key", verdict: "fail", detail: yield* failureMessage(key.failure) })
        else if (Option.isNone(key.success))
          checks.push({ check: "key", verdict: "warn", detail: "none configured (read-only)" })
        else if (chainPart._tag === "Success") {
          const { Ledger, TxEngine } = yield* lazy.contracts
          const keyed = yield* keyChecks.pipe(
            Effect.provide(Ledger.layer.pipe(Layer.provide(TxEngine.layer()), Layer.provideMerge(signingLayer(g)))),
            Effect.result,
          )
          if (keyed._tag === "Failure")
            checks.push({ check: "key", verdict: "fail", detail: yield* failureMessage(keyed.failure) })
          else checks.push(...keyed.success)
        }
      }
      const failed = checks.filter((c) => c.verdict === "fail").length
      const verdict: Verdict = failed > 0 ? "fail" : checks.some((c) => c.verdict === "warn") ? "warn" : "ok"
      yield* makePrinter(g.json).result(
        { verdict, checks },
        () =>
          `${table(
            ["check", "verdict", "detail"],
            checks.map((c) => [c.check, c.verdict.toUpperCase(), c.detail]),
          )}\n\nverdict: ${verdict.toUpperCase()}`,
      )
      if (failed > 0) (yield* CliIO).exitCode = 1
    }),
  ),
).pipe(Command.withDescription("check RPC, chain id, contracts, providers, key and balances, one verdict each"))
