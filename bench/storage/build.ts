/**
 * Bundles the bench children into plain .mjs (npm SDKs left external) so they run under plain `node`: peak RSS then
 * measures the client, not a TypeScript loader. The hash worker is bundled next to them (it is loaded by URL).
 */
import { mkdirSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const here = dirname(fileURLToPath(import.meta.url))
export const BUILD_DIR = join(here, ".build")

export const buildChildren = async (): Promise<Record<string, string>> => {
  mkdirSync(BUILD_DIR, { recursive: true })
  const names = ["merkle-child", "upload-child"]
  await build({
    entryPoints: names.map((n) => join(here, `${n}.ts`)),
    outdir: BUILD_DIR,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: ["@0gfoundation/*", "@0glabs/*"],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: "warning",
  })
  // The worker imports hash-wasm, which is not resolvable from BUILD_DIR: bundle it too.
  const storageNode = createRequire(import.meta.url).resolve("@0g-compute/storage/node")
  await build({
    entryPoints: [join(dirname(storageNode), "hash-worker.mjs")],
    outfile: join(BUILD_DIR, "hash-worker.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
  })
  return Object.fromEntries(names.map((n) => [n, join(BUILD_DIR, `${n}.mjs`)]))
}
