/**
 * The production build of the CLI: `src/main.ts` bundled by esbuild into `dist/0g-compute.mjs` (ESM, node20, minified
 * whitespace and syntax, readable names). The command handlers load their heavy modules with `import()`, so with code
 * splitting `--help` evaluates only the entry chunk (effect and the flag definitions); ethers and the feature packages
 * sit in chunks next to it, loaded by the command that needs them. The CLI's static imports of core go to
 * `@0g-compute/core/light`, the entry without ethers.
 *
 * Files found through `import.meta.url`:
 * - the worker threads (storage's `new URL("./hash-worker.mjs", import.meta.url)`, crypto's `./decrypt-worker.mjs`)
 *   are bundled as entries of their own, `dist/<name>.mjs`, next to the chunk that starts them;
 * - every other workspace file that uses `import.meta.url` (contract artifacts, the devnet's storage artifacts, the
 *   anvil binary's resolution) gets the URL it would have inside its package, re-rooted under `dist/assets/<package>/`,
 *   and the package's `artifacts/` are copied there — so an installed bundle finds them next to itself.
 *
 * Usage: `tsx scripts/bundle.ts [outdir]` (default `dist`), or `bundleCli(outdir)` from a test.
 */
import { chmod, cp, readFile, rm } from "node:fs/promises"
import { dirname, join, relative, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import * as esbuild from "esbuild"

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), "..")

/** Workspace sources and ethers have no import-time side effects: unused re-exports may be dropped. */
const PURE = /[\\/]packages[\\/][^\\/]+[\\/]src[\\/]|[\\/]node_modules[\\/]ethers[\\/]/

/** The files whose `import.meta.url` must stay the bundle's: they start a worker (`./<name>.mjs`) from dist. */
const WORKER_POOLS =
  /[\\/]packages[\\/](storage[\\/]src[\\/]node[\\/]hash-pool|crypto[\\/]src[\\/]node[\\/]decrypt-pool)\.ts$/

const packagesDir = resolve(appDir, "../../packages")
/** Packages whose code reads `artifacts/*.json` relative to itself. */
const ASSET_PACKAGES = ["contracts", "devnet"]

const plugin: esbuild.Plugin = {
  name: "0g-compute-cli",
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === PURE || args.kind === "entry-point") return undefined
      const r = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: PURE,
      })
      if (r.errors.length > 0 || r.external || !PURE.test(r.path)) return r.errors.length > 0 ? undefined : r
      return { ...r, sideEffects: false }
    })
    build.onLoad({ filter: /\.(ts|mjs|js)$/ }, async (args) => {
      if (args.path.includes("node_modules") || WORKER_POOLS.test(args.path)) return undefined
      const text = await readFile(args.path, "utf8")
      if (!text.includes("import.meta.url")) return undefined
      const inPackage = relative(packagesDir, args.path)
      if (inPackage.startsWith("..")) return undefined
      // Every chunk sits in the bundle's root, so this URL is the file's place under assets/ wherever dist/ lives.
      const url = `new URL(${JSON.stringify(`./assets/${inPackage.split(sep).join("/")}`)}, import.meta.url).href`
      return { contents: text.replaceAll("import.meta.url", url), loader: args.path.endsWith(".ts") ? "ts" : "js" }
    })
  },
}

export const bundleCli = async (outdir = join(appDir, "dist")) => {
  await rm(outdir, { recursive: true, force: true })
  const workerOf = (pkg: string, name: string) => join(packagesDir, pkg, "src", "node", `${name}.mjs`)
  const result = await esbuild.build({
    absWorkingDir: appDir,
    entryPoints: [
      { in: "src/main.ts", out: "0g-compute" },
      { in: workerOf("storage", "hash-worker"), out: "hash-worker" },
      { in: workerOf("crypto", "decrypt-worker"), out: "decrypt-worker" },
    ],
    outdir,
    outExtension: { ".js": ".mjs" },
    chunkNames: "[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    // CommonJS dependencies bundled into ESM still call require() for node builtins.
    banner: {
      js: '#!/usr/bin/env node\nimport { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
    },
    // ws's optional native accelerators.
    external: ["bufferutil", "utf-8-validate"],
    plugins: [plugin],
    metafile: true,
    logLevel: "warning",
  })
  await chmod(join(outdir, "0g-compute.mjs"), 0o755)
  for (const pkg of ASSET_PACKAGES) {
    await cp(join(packagesDir, pkg, "artifacts"), join(outdir, "assets", pkg, "artifacts"), { recursive: true })
  }
  return result
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ? resolve(process.argv[2]) : undefined
  const result = await bundleCli(out)
  const outputs = Object.entries(result.metafile.outputs)
  const entry = outputs.find(([p]) => p.endsWith("0g-compute.mjs"))
  console.log(`${outputs.length} files; entry ${((entry?.[1].bytes ?? 0) / 1024).toFixed(0)} KiB`)
}
