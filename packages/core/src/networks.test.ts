import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { NETWORKS, networkForChainId, parseNetwork } from "./networks.js"

describe("network presets", () => {
  it("carries the chain ids and contract addresses of spec/networks.md", () => {
    expect(NETWORKS.mainnet.chainId).toBe(16661n)
    expect(NETWORKS.testnet.chainId).toBe(16602n)
    expect(NETWORKS["testnet-dev"].chainId).toBe(16602n)
    expect(NETWORKS.devnet.chainId).toBe(31337n)
    expect(NETWORKS.mainnet.rpcUrl).toBe("https://evmrpc.0g.ai")
    expect(NETWORKS.testnet.rpcUrl).toBe("https://evmrpc-testnet.0g.ai")
    expect(NETWORKS.devnet.contracts).toEqual({
      ledger: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
      inference: "0x0165878A594ca255338adfa4d48449f69242Eb8F",
      fineTuning: "0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0",
    })
    expect(NETWORKS.mainnet.contracts.fineTuning).toBe("0x4e3474095518883744ddf135b7E0A23301c7F9c0")
    expect(NETWORKS.testnet.contracts.ledger).toBe("0xE70830508dAc0A97e6c087c75f402f9Be669E406")
    expect(NETWORKS["testnet-dev"].contracts.inference).toBe("0x41bD7Ac5c19000A974D5c192bcd5FB67b56C85c5")
  })

  it("maps known chain ids and fails closed on unknown ones", async () => {
    expect((await Effect.runPromise(networkForChainId(16661n))).name).toBe("mainnet")
    expect((await Effect.runPromise(networkForChainId(16602n))).name).toBe("testnet")
    expect((await Effect.runPromise(networkForChainId(31337n))).name).toBe("devnet")
    const exit = await Effect.runPromiseExit(networkForChainId(16601n))
    expect(Exit.isFailure(exit)).toBe(true)
    const err = await Effect.runPromise(networkForChainId(1n).pipe(Effect.flip))
    expect(err._tag).toBe("UnknownChainId")
    expect(err.chainId).toBe(1n)
  })

  it("parses preset names and RPC URLs, rejects anything else", async () => {
    const devnet = await Effect.runPromise(parseNetwork("devnet"))
    expect(devnet._tag === "Preset" && devnet.preset.chainId).toBe(31337n)
    const custom = await Effect.runPromise(parseNetwork("http://127.0.0.1:9545/"))
    expect(custom).toEqual({ _tag: "CustomRpc", rpcUrl: "http://127.0.0.1:9545" })
    for (const bad of ["", "Mainnet", "ftp://x", "localhost:8545", "toString", "__proto__"]) {
      const err = await Effect.runPromise(parseNetwork(bad).pipe(Effect.flip))
      expect(err._tag).toBe("UnknownNetwork")
    }
  })
})
