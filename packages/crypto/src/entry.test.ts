import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import * as entry from "./index.js"

describe("browser-safe default entry", () => {
  it("no module outside src/node imports node: builtins (tests excluded)", () => {
    const dir = new URL(".", import.meta.url).pathname
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    expect(files.length).toBeGreaterThan(8)
    for (const f of files)
      expect([f, /from "node:|require\("node:/.test(readFileSync(join(dir, f), "utf8"))]).toEqual([f, false])
  })
  it("exposes no ceremonial service or Promise facade", () => {
    expect(Object.keys(entry)).not.toContain("Crypto")
    expect(Object.keys(entry)).not.toContain("cryptoPromises")
    expect(typeof entry.parseApiKey).toBe("function")
  })
})
