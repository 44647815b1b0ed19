#!/usr/bin/env node
/**
 * The build of one library package (run from its directory by `npm run build`):
 * 1. `tsc -p tsconfig.build.json` → dist/ (ESM + declarations);
 * 2. the worker scripts `src/node/*.mjs`, which tsc does not emit, are copied next to the code that starts them;
 * 3. dist/cjs/ gets a copy of every declaration under a `{"type":"commonjs"}` package.json. The exports maps point
 *    the `require` condition's types there, so a CommonJS consumer's `import "ethers"` and ours resolve to the same
 *    (CommonJS) ethers declarations; at run time `require` loads the ESM build itself (Node ≥ 20.19).
 */
import { execFileSync } from "node:child_process"
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs"
import { createRequire } from "node:module"
import { dirname, join, relative } from "node:path"

const dir = process.cwd()
const tsc = createRequire(join(dir, "package.json")).resolve("typescript/bin/tsc")
rmSync(join(dir, "dist"), { recursive: true, force: true })
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: dir, stdio: "inherit" })

const nodeSrc = join(dir, "src", "node")
if (existsSync(nodeSrc)) {
  for (const name of readdirSync(nodeSrc).filter((n) => n.endsWith(".mjs"))) {
    copyFileSync(join(nodeSrc, name), join(dir, "dist", "node", name))
  }
}

const walk = (d) =>
  readdirSync(d).flatMap((n) => {
    const p = join(d, n)
    return statSync(p).isDirectory() ? walk(p) : [p]
  })
const dist = join(dir, "dist")
const cjs = join(dist, "cjs")
for (const file of walk(dist).filter((f) => f.endsWith(".d.ts"))) {
  const to = join(cjs, relative(dist, file))
  mkdirSync(dirname(to), { recursive: true })
  // The declaration maps stay with the ESM copies; the CommonJS copies only re-state the types.
  writeFileSync(to, readFileSync(file, "utf8").replace(/\n\/\/# sourceMappingURL=.*\n?$/, "\n"))
}
writeFileSync(join(cjs, "package.json"), '{ "type": "commonjs" }\n')
