/**
 * `0g-compute devnet up`: runs the embedded devnet in the foreground until interrupted.
 */

import { createServer } from "node:net"
import { ChainMismatch, describeCause, NETWORKS, RpcError } from "@0g-compute/core/light"
import type { Devnet, DevnetOptions } from "@0g-compute/devnet"
import { Effect, Layer, Redacted } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { JsonRpcProvider } from "ethers"
import { chainLayer } from "../context.js"
import { DevnetStartFailed, PortInUse } from "../failure.js"
import { CliIO } from "../io.js"
import * as lazy from "../lazy.js"
import { keyValues, makePrinter, table } from "../output.js"
import { globals, withGlobals } from "./root.js"

export const describeDevnet = (d: Devnet) => ({
  rpcUrl: d.rpcUrl,
  chainId: d.chainId,
  contracts: d.addresses,
  storage: d.storage ? { indexerUrl: d.storage.indexerUrl, flowAddress: d.storage.flowAddress } : undefined,
  // `inference list --detail --status-api <this>`: health and model catalogue, as compute-status.0g.ai serves them.
  statusApi: d.statusApiUrl,
  services: {
    inference: d.services.inference.map((s) => ({
      provider: s.provider.address,
      teeSigner: s.teeSigner.address,
      url: s.url,
      model: s.model,
      inputPrice: s.inputPrice,
      outputPrice: s.outputPrice,
    })),
    fineTuning: d.services.fineTuning.map((s) => ({
      provider: s.provider.address,
      teeSigner: s.teeSigner.address,
      url: s.url,
      pricePerToken: s.pricePerToken,
    })),
  },
  // Public test keys of the standard mnemonic: printing them is the point of `devnet up`.
  accounts: d.accounts.all.map((a) => ({ role: a.role, address: a.address, privateKey: Redacted.value(a.privateKey) })),
})

/** Binds and releases 127.0.0.1:port, so a busy port is named before anvil is spawned. */
const checkPort = (port: number) =>
  Effect.callback<void, PortInUse | DevnetStartFailed>((resume) => {
    const server = createServer()
    server.once("error", (e: NodeJS.ErrnoException) =>
      resume(
        Effect.fail(
          e.code === "EADDRINUSE"
            ? new PortInUse({ port })
            : new DevnetStartFailed({
                port,
                detail: e.code === "EACCES" ? "permission denied; pass --port <n> above 1023" : describeCause(e),
              }),
        ),
      ),
    )
    server.listen(port, "127.0.0.1", () => server.close(() => resume(Effect.void)))
  })

/** Starts the devnet (stopped when the scope closes); a busy port or a failed start is a typed error. */
export const startDevnetScoped = (options: DevnetOptions) =>
  Effect.gen(function* () {
    if (options.port !== undefined) {
      if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)
        return yield* new DevnetStartFailed({ port: options.port, detail: "--port must be 1..65535" })
      yield* checkPort(options.port)
    }
    const { startDevnet } = yield* lazy.devnet
    const port = options.port ?? 0
    return yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => startDevnet(options),
        // startDevnet rejects with anvil's plain Error (no tag); a lost race for the port says `addressInUse`.
        catch: (e) =>
          (e as { addressInUse?: unknown }).addressInUse === true
            ? new PortInUse({ port })
            : new DevnetStartFailed({ port, detail: describeCause(e) }),
      }),
      (d) => Effect.promise(() => d.stop()),
    )
  })

const up = Command.make(
  "up",
  {
    port: Flag.Int("port").pipe(
      Flag.withDescription("loopback port for the chain; 8545 makes --network devnet work unchanged"),
      Flag.withDefault(8545),
    ),
  },
  ({ port }) =>
    withGlobals((g) =>
      Effect.gen(function* () {
        const devnet = yield* startDevnetScoped({ port, storage: true, fineTuning: true })
        const info = describeDevnet(devnet)
        const io = yield* CliIO
        const write = (s: string) => Effect.sync(() => io.stdout(`${s}\n`))
        if (g.json) yield* write(JSON.stringify(info, (_k, v) => (typeof v === "bigint" ? v.toString() : v)))
        else {
          yield* write(
            keyValues([
              ["RPC", info.rpcUrl],
              ["chain id", String(info.chainId)],
              ["LedgerManager", info.contracts.ledger],
              ["InferenceServing", info.contracts.inference],
              ["FineTuningServing", info.contracts.fineTuning],
              ["storage indexer", info.storage?.indexerUrl ?? "-"],
              ["status API", info.statusApi ?? "-"],
              ["inference provider", info.services.inference.map((s) => `${s.provider} ${s.url}`).join(", ")],
              ["fine-tuning provider", info.services.fineTuning.map((s) => `${s.provider} ${s.url}`).join(", ")],
            ]),
          )
          yield* write("\nFunded test accounts (public test keys — never use them on a real network):")
          yield* write(
            table(
              ["#", "role", "address", "private key"],
              info.accounts.map((a, i) => [String(i), a.role, a.address, a.privateKey]),
            ),
          )
          yield* write(
            `\nUse it: ZG_PRIVATE_KEY=<key> 0g-compute --network ${info.rpcUrl} ledger show\nPress Ctrl-C to stop.`,
          )
        }
        return yield* Effect.never
      }).pipe(Effect.scoped),
    ),
).pipe(Command.withDescription("start a local chain with the 0G compute contracts and print its accounts"))

const advanceTime = Command.make(
  "advance-time",
  {
    seconds: Argument.Int("seconds").pipe(
      Argument.withDescription("how far to move the chain clock"),
      // anvil answers a negative value with its JSON decoder's internals; the clock never moves back anyway.
      Argument.filter(
        (s) => s >= 0,
        () => "0 or more (the chain clock only moves forward)",
      ),
    ),
  },
  ({ seconds }) =>
    withGlobals((g) =>
      Effect.gen(function* () {
        const { Chain } = yield* lazy.core
        const chain = yield* Chain
        if (chain.chainId !== NETWORKS.devnet.chainId) {
          return yield* new ChainMismatch({ expected: NETWORKS.devnet.chainId, actual: chain.chainId })
        }
        const rpc = chain.provider as JsonRpcProvider
        const timestamp = yield* Effect.tryPromise({
          try: async () => {
            await rpc.send("evm_increaseTime", [seconds])
            await rpc.send("evm_mine", [])
            return (await rpc.getBlock("latest"))?.timestamp ?? 0
          },
          catch: (cause) => new RpcError({ method: "evm_increaseTime", cause }),
        })
        yield* makePrinter(g.json).result(
          { advancedBy: seconds, timestamp },
          () => `chain time advanced by ${seconds}s; now ${new Date(timestamp * 1000).toISOString()}`,
        )
      }).pipe(Effect.provide(Layer.unwrap(Effect.map(globals, chainLayer)))),
    ),
).pipe(Command.withDescription("move the devnet clock forward (e.g. past a refund lock)"))

export const devnetCommand = Command.make("devnet").pipe(
  Command.withDescription("the embedded local network"),
  Command.withSubcommands([up, advanceTime]),
)
