import { build } from "esbuild"
import { describe, expect, it } from "vitest"

describe("default entry", () => {
  it("bundles for the browser without Node built-ins", async () => {
    const result = await build({
      entryPoints: [new URL("./index.ts", import.meta.url).pathname],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    })
    expect(result.errors).toEqual([])
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.some((p) => p.includes("merkle/builder.ts"))).toBe(true)
    expect(inputs.filter((p) => p.includes("/node/") || p.startsWith("node:"))).toEqual([])
    const code = result.outputFiles?.[0]?.text ?? ""
    expect(code).not.toMatch(/from\s*"node:|require\("(node:)?(fs|worker_threads|child_process)"\)/)
  })
})
