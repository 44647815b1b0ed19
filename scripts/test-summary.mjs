// Adds up the vitest JSON reports of every workspace package into one closing line: "N passed, N failed".
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

let passed = 0
let failed = 0
let skipped = 0
const missing = []
for (const group of ["packages", "apps", "tests", "examples"]) {
  if (!existsSync(group)) continue
  for (const name of readdirSync(group)) {
    const dir = join(group, name)
    if (!existsSync(join(dir, "package.json"))) continue
    const report = join(dir, ".vitest-report.json")
    if (!existsSync(report)) {
      missing.push(dir)
      continue
    }
    const r = JSON.parse(readFileSync(report, "utf8"))
    passed += r.numPassedTests
    failed += r.numFailedTests
    skipped += r.numPendingTests + r.numTodoTests
    console.log(`${dir}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`)
  }
}
// The README doc-tests (tests/docs): one test per README code block, counted apart so drift shows in the summary.
const docs = join("tests", "docs", ".vitest-report.json")
if (existsSync(docs)) {
  const blocks = JSON.parse(readFileSync(docs, "utf8"))
    .testResults.filter((f) => f.name.endsWith("readmes.test.ts"))
    .flatMap((f) => f.assertionResults)
  const ok = blocks.filter((t) => t.status === "passed").length
  console.log(`doc-tests: ${ok} of ${blocks.length} passed (every README code block run against the devnet)`)
}
if (missing.length > 0) console.log(`no test report from: ${missing.join(", ")}`)
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`)
process.exit(failed > 0 || skipped > 0 || missing.length > 0 ? 1 : 0)
