/** `pnpm bench` entry for inference: `tsx inference/run.ts [overhead|gateway|memory|all]`, each bench in its own process. */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const which = process.argv[2] ?? "all"
const run = (file: string) => {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(new URL(file, import.meta.url))], {
    stdio: "inherit",
  })
  if (r.status !== 0) process.exitCode = r.status ?? 1
}
if (which === "all" || which === "overhead") run("./overhead.ts")
if (which === "all" || which === "gateway") run("./gateway.ts")
if (which === "all" || which === "memory") run("./gateway-memory.ts")
