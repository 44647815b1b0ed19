/** Builds the dApp with Vite and serves the build on loopback (vite preview): used by the test and `pnpm devnet`. */
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { build, preview } from "vite"

export const dappRoot = join(dirname(fileURLToPath(import.meta.url)), "..")

export interface ServedDapp {
  readonly url: string
  readonly outDir: string
  readonly close: () => Promise<void>
}

export const buildAndServe = async (outDir = join(dappRoot, "dist"), port = 0): Promise<ServedDapp> => {
  await build({ root: dappRoot, logLevel: "warn", build: { outDir, emptyOutDir: true } })
  const server = await preview({
    root: dappRoot,
    logLevel: "warn",
    build: { outDir },
    preview: { host: "127.0.0.1", port, strictPort: port !== 0, open: false },
  })
  const url = server.resolvedUrls?.local[0]
  if (url === undefined) throw new Error("vite preview reported no URL")
  return { url, outDir, close: () => server.close() }
}
