#!/usr/bin/env node
// `--help` of many command paths in one process (the docs tests check every command the READMEs name; one Node start
// per path cost minutes). Reads a JSON array of paths (arrays of words) on stdin; prints one JSON object
// { "<words joined by space>": { code, stdout, stderr } } on stdout.
import { register } from "tsx/esm/api"

register()
const { Effect } = await import("effect")
const { runInProcess } = await import("../src/cli.ts")
const { makeIO } = await import("../src/io.ts")

let input = ""
for await (const chunk of process.stdin) input += chunk
const paths = JSON.parse(input)
const out = {}
for (const path of paths) {
  let stdout = ""
  let stderr = ""
  const io = makeIO({
    env: process.env,
    stdout: (s) => {
      stdout += s
    },
    stderr: (s) => {
      stderr += s
    },
  })
  const code = await Effect.runPromise(runInProcess([...path, "--help"], io))
  out[path.join(" ")] = { code, stdout, stderr }
}
process.stdout.write(JSON.stringify(out))
