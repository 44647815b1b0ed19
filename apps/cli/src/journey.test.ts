/**
 * The README's main job, `npm run journey`, as the binary runs it (one process; its steps are invocations inside it):
 * every step passes and the devnet stops.
 */
import { existsSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { spawnCli } from "./testing/cli.js"

describe("0g-compute journey", () => {
  it("starts the devnet, runs every CLI step and exits 0 with a summary", async () => {
    const r = await spawnCli(["journey"])
    const { code } = r
    const out = r.stdout + r.stderr
    expect(code, out).toBe(0)
    expect(out).toMatch(/\[\d+\] The ledger is gone/)
    // The default provider non-stream and stream, the centralized one (its routing proof), an image and a transcript;
    // the standard provider's answer is not.
    expect(out.match(/verification +Verified/g)).toHaveLength(5)
    expect(out.match(/level +bytes-bound/g)).toHaveLength(5)
    expect(out).toMatch(/level +bytes-bound \(routing proof: /)
    expect(out).toMatch(/cannot be verified: a standard provider never signs its responses/)
    expect(out.match(/level +unverifiable/g)).toHaveLength(1)
    expect(out).toMatch(/wrote \S+lighthouse\.png \(\d+ bytes\)/)
    expect(out).toMatch(/the quick brown fox jumps over the lazy dog\n/)
    expect(out).toMatch(/withdrew 12\.4\d* 0G to your wallet/)
    expect(out).toMatch(/verified \d+ bytes against 0x[0-9a-f]{64}/)
    expect(out).toMatch(/acknowledged [0-9a-f-]{36}\n/)
    expect(out).toMatch(/\nmodel +\S+\.model\.zip\n/)
    expect(out).toMatch(/Summary: ledger created and funded; inference provider attested, acknowledged and answered/)
    expect(out).toMatch(/a model fine-tuned on it, verified, acknowledged and decrypted/)
    expect(out).toMatch(/Devnet stopped\. Journey complete\./)
    // Its scratch files (dataset, decrypted model, image) go with it: a re-run leaves nothing behind.
    const scratch = /written to (\S+), removed when the journey ends/.exec(out)?.[1]
    expect(scratch).toMatch(/0g-journey-/)
    expect(existsSync(scratch!)).toBe(false)
    // The journey's key is passed in the environment, never printed.
    expect(out).not.toMatch(/8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba/)
  }, 600_000)
})
