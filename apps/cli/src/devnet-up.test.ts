/** `0g-compute devnet up` in the foreground: prints what a user needs, serves the chain, and stops cleanly on Ctrl-C. */
import { spawn } from "node:child_process"
import { freePort } from "@0g-compute/core/node"
import { JsonRpcProvider } from "ethers"
import { describe, expect, it } from "vitest"
import { BIN } from "./testing/cli.js"

describe("0g-compute devnet up", () => {
  it("prints the RPC, contracts, providers and test keys as JSON, then stops on SIGINT", async () => {
    const port = await freePort()
    const child = spawn(process.execPath, [BIN, "devnet", "up", "--port", String(port), "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
    })
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    const doc = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let out = ""
      child.stdout.on("data", (b: Buffer) => {
        out += b
        const line = out.split("\n").find((l) => l.startsWith("{"))
        if (line) resolve(JSON.parse(line))
      })
      child.on("close", () => reject(new Error(`devnet up exited early: ${out}`)))
    })
    expect(doc.rpcUrl).toBe(`http://127.0.0.1:${port}`)
    expect(doc.contracts).toMatchObject({ ledger: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0" })
    expect((doc.storage as { indexerUrl: string }).indexerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect((doc.accounts as unknown[]).length).toBeGreaterThanOrEqual(10)
    const rpc = new JsonRpcProvider(String(doc.rpcUrl), undefined, { staticNetwork: true })
    expect(await rpc.getCode("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0")).not.toBe("0x")
    rpc.destroy()
    child.kill("SIGINT")
    expect(await exited).not.toBeNull()
    const after = new JsonRpcProvider(String(doc.rpcUrl), undefined, { staticNetwork: true })
    await expect(after.send("eth_chainId", [])).rejects.toThrow()
    after.destroy()
  }, 120_000)
})
