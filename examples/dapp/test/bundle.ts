/**
 * Bundle sizes for the budget: the JavaScript a page loads up front (entry + its static imports, no lazy chunks, no
 * worker), gzip level 9, for our built dApp and for the official SDK bundled by the same Vite for the same calls.
 */
import { readFile, rm, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { build, type Rolldown } from "vite"

const here = dirname(fileURLToPath(import.meta.url))
const benchDir = join(here, "../../../bench")

export interface BundleSize {
  readonly files: ReadonlyArray<string>
  readonly raw: number
  readonly gzip: number
}

const gz = (code: string | Uint8Array) => gzipSync(code, { level: 9 }).length

/** The built page's initial JavaScript: the entry module and its static imports (modulepreload), from index.html. */
export const measureBuiltPage = async (outDir: string): Promise<BundleSize> => {
  const html = await readFile(join(outDir, "index.html"), "utf8")
  const files = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+\.js)"/g)].map((m) => m[1] as string)
  let raw = 0
  let gzip = 0
  for (const f of files) {
    const code = await readFile(join(outDir, f))
    raw += code.length
    gzip += gz(code)
  }
  return { files, raw, gzip }
}

/** The chunks reachable from the entry by static imports (what loads before the first call can run). */
const initialChunks = (output: ReadonlyArray<Rolldown.OutputChunk | Rolldown.OutputAsset>) => {
  const chunks = new Map(output.filter((o) => o.type === "chunk").map((c) => [c.fileName, c as Rolldown.OutputChunk]))
  const seen = new Set<string>()
  const visit = (name: string) => {
    const c = chunks.get(name)
    if (c === undefined || seen.has(name)) return
    seen.add(name)
    for (const i of c.imports) visit(i)
  }
  for (const c of chunks.values()) if (c.isEntry) visit(c.fileName)
  return [...seen].map((n) => chunks.get(n) as Rolldown.OutputChunk)
}

/**
 * The official SDK (bench's devDependency) for the same calls: ledger reads and writes, service listing, provider
 * acknowledgement, request headers and response verification. It needs Node's `events` and `stream`, which a browser
 * app must polyfill: they are left out here, so the number is a lower bound.
 */
export const measureOfficialSdk = async (): Promise<BundleSize> => {
  const entry = join(benchDir, `.dapp-budget-entry-${process.pid}.mjs`)
  await writeFile(
    entry,
    `import { createZGComputeNetworkBroker } from "@0gfoundation/0g-compute-ts-sdk"
export async function run(signer, provider, content, chatId) {
  const broker = await createZGComputeNetworkBroker(signer)
  await broker.ledger.getLedger()
  await broker.ledger.addLedger(5)
  await broker.ledger.depositFund(1)
  await broker.inference.listService()
  await broker.inference.acknowledgeProviderSigner(provider)
  await broker.inference.getServiceMetadata(provider)
  const headers = await broker.inference.getRequestHeaders(provider, content)
  return [headers, await broker.inference.processResponse(provider, chatId, content)]
}
`,
  )
  try {
    const result = await build({
      configFile: false,
      root: benchDir,
      logLevel: "silent",
      build: {
        write: false,
        minify: true,
        target: "es2022",
        lib: { entry, formats: ["es"], fileName: "official" },
        rolldownOptions: { external: ["events", "stream"] },
      },
    })
    const outputs = (Array.isArray(result) ? result : [result]) as Array<Rolldown.RolldownOutput>
    const chunks = initialChunks(outputs.flatMap((o) => o.output))
    return {
      files: chunks.map((c) => c.fileName),
      raw: chunks.reduce((n, c) => n + Buffer.byteLength(c.code), 0),
      gzip: chunks.reduce((n, c) => n + gz(c.code), 0),
    }
  } finally {
    await rm(entry, { force: true })
  }
}
