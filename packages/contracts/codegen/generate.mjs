#!/usr/bin/env node
/**
 * Emits `src/generated/<Name>.ts` from `artifacts/<Name>.json`: the ABI as a `const`, plus TypeScript types for every
 * function (inputs/outputs), struct, event and custom error, and the error selectors / event topics.
 *
 * Everything is derived mechanically from the ABI, so the types cannot drift from the contracts; a test regenerates
 * in memory and compares with the committed files.
 *
 *   node codegen/generate.mjs            # write src/generated/*
 *   node codegen/generate.mjs --check    # exit 1 if src/generated is stale
 *   node codegen/generate.mjs --from DIR # read ABIs from another folder (plain ABI arrays or artifacts)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { id } from "ethers"

export const CONTRACTS = ["LedgerManager", "InferenceServing", "FineTuningServing"]

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..")
export const ARTIFACTS_DIR = join(PACKAGE_DIR, "artifacts")
export const GENERATED_DIR = join(PACKAGE_DIR, "src", "generated")

// BaseContract members an ABI function must not shadow on the typed contract (still reachable via getFunction).
const RESERVED = new Set([
  "addListener",
  "attach",
  "connect",
  "deploymentTransaction",
  "emit",
  "fallback",
  "filters",
  "getAddress",
  "getDeployedCode",
  "getEvent",
  "getFunction",
  "interface",
  "listenerCount",
  "listeners",
  "off",
  "on",
  "once",
  "queryFilter",
  "removeAllListeners",
  "removeListener",
  "runner",
  "target",
  "waitForDeployment",
])

/** Reads the ABI of an artifact (`{abi}`) or a plain ABI array. */
export const readAbi = (file) => {
  const json = JSON.parse(readFileSync(file, "utf8"))
  const abi = Array.isArray(json) ? json : json.abi
  if (!Array.isArray(abi)) throw new Error(`${file}: no ABI array`)
  return abi
}

const canonicalType = (p) => {
  if (!p.type.startsWith("tuple")) return p.type
  return `(${p.components.map(canonicalType).join(",")})${p.type.slice("tuple".length)}`
}
const signature = (e) => `${e.name}(${e.inputs.map(canonicalType).join(",")})`

const structBaseName = (p, fallback) => {
  const m = /^struct\s+(?:[\w$]+\.)?([\w$]+)/.exec(p.internalType ?? "")
  return m ? m[1] : fallback
}

const argName = (p, i) => (p.name && /^[A-Za-z_$][\w$]*$/.test(p.name) ? p.name : `arg${i}`)

/** Collects struct definitions (by Solidity name) and renders TS types for ABI params. */
class TypeMapper {
  constructor() {
    this.structs = new Map() // name -> { components, signature }
  }

  structName(p, fallback) {
    const base = structBaseName(p, fallback)
    const sig = canonicalType({ ...p, type: "tuple" })
    let name = base
    for (let n = 2; this.structs.has(name) && this.structs.get(name).signature !== sig; n++) name = `${base}${n}`
    if (!this.structs.has(name)) {
      this.structs.set(name, { components: p.components, signature: sig })
      p.components.forEach((c, i) => {
        if (c.type.startsWith("tuple")) this.structName(c, `${name}_${argName(c, i)}`)
      })
    }
    return name
  }

  /** TS type of a value ethers returns (`mode = "out"`) or accepts (`mode = "in"`). */
  type(p, mode, fallback) {
    const arr = /^(.*)\[(\d*)\]$/.exec(p.type)
    if (arr) {
      const inner = this.type({ ...p, type: arr[1] }, mode, fallback)
      return mode === "in" ? `ReadonlyArray<${inner}>` : `Array<${inner}>`
    }
    if (p.type === "tuple") {
      const name = this.structName(p, fallback)
      return mode === "in" ? `${name}Input` : name
    }
    if (/^u?int\d*$/.test(p.type)) return mode === "in" ? "BigNumberish" : "bigint"
    if (p.type === "address") return mode === "in" ? "AddressLike" : "string"
    if (p.type === "bool") return "boolean"
    if (p.type === "string") return "string"
    if (/^bytes\d*$/.test(p.type)) return mode === "in" ? "BytesLike" : "string"
    throw new Error(`unsupported ABI type ${p.type}`)
  }

  tuple(params, mode, prefix) {
    return `[${params.map((p, i) => `${argName(p, i)}: ${this.type(p, mode, `${prefix}_${argName(p, i)}`)}`).join(", ")}]`
  }

  record(params, prefix) {
    if (params.length === 0) return "Record<string, never>"
    const fields = params.map(
      (p, i) => `readonly ${argName(p, i)}: ${this.type(p, "out", `${prefix}_${argName(p, i)}`)}`,
    )
    return `{ ${fields.join("; ")} }`
  }

  /** What `staticCall` resolves to: void, the single value, or a Result-like tuple with named fields. */
  returns(outputs, prefix) {
    if (outputs.length === 0) return "void"
    if (outputs.length === 1) return this.type(outputs[0], "out", `${prefix}_${argName(outputs[0], 0)}`)
    const tuple = this.tuple(outputs, "out", prefix)
    const named = outputs.every((p) => p.name)
    return named ? `${tuple} & ${this.record(outputs, prefix)}` : tuple
  }
}

const doc = (text) => `/** ${text} */\n`

/** The TypeScript module for one contract's ABI. Pure: same ABI in, same text out. */
export const generateModule = (name, abi) => {
  const t = new TypeMapper()
  const fns = abi.filter((e) => e.type === "function").sort((a, b) => a.name.localeCompare(b.name))
  const events = abi.filter((e) => e.type === "event").sort((a, b) => a.name.localeCompare(b.name))
  const errors = abi.filter((e) => e.type === "error").sort((a, b) => a.name.localeCompare(b.name))
  const overloaded = (list) => list.filter((e, i) => list.findIndex((o) => o.name === e.name) !== i).map((e) => e.name)
  const dup = [...overloaded(fns), ...overloaded(events), ...overloaded(errors)]
  if (dup.length > 0) throw new Error(`${name}: overloaded names are not supported: ${dup.join(", ")}`)

  const fnLines = []
  const methodLines = []
  for (const f of fns) {
    const inputs = t.tuple(f.inputs, "in", `${f.name}`)
    const outputs = t.tuple(f.outputs ?? [], "out", `${f.name}`)
    const ret = t.returns(f.outputs ?? [], f.name)
    fnLines.push(
      `  readonly ${f.name}: {\n    readonly inputs: ${inputs}\n    readonly outputs: ${outputs}\n` +
        `    readonly returns: ${ret}\n    readonly stateMutability: ${JSON.stringify(f.stateMutability)}\n  }`,
    )
    if (RESERVED.has(f.name)) continue
    const constant = f.stateMutability === "view" || f.stateMutability === "pure"
    methodLines.push(
      constant
        ? `  readonly ${f.name}: ConstantContractMethod<${inputs}, ${ret}>`
        : `  readonly ${f.name}: ContractMethod<${inputs}, ${ret}, ContractTransactionResponse>`,
    )
  }

  const eventLines = events.map((e) => `  readonly ${e.name}: ${t.record(e.inputs, e.name)}`)
  const topicLines = events.map((e) => `  ${e.name}: ${JSON.stringify(id(signature(e)))},`)
  const errorTupleLines = errors.map((e) => `  readonly ${e.name}: readonly ${t.tuple(e.inputs, "out", e.name)}`)
  const errorArgLines = errors.map((e) => `  readonly ${e.name}: ${t.record(e.inputs, e.name)}`)
  const selectorLines = errors.map((e) => `  ${e.name}: ${JSON.stringify(id(signature(e)).slice(0, 10))},`)
  const signatureLines = errors.map((e) => `  ${e.name}: ${JSON.stringify(signature(e))},`)

  const structLines = []
  for (const [sname, s] of [...t.structs.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const out = s.components.map(
      (c, i) => `  readonly ${argName(c, i)}: ${t.type(c, "out", `${sname}_${argName(c, i)}`)}`,
    )
    const inp = s.components.map(
      (c, i) => `  readonly ${argName(c, i)}: ${t.type(c, "in", `${sname}_${argName(c, i)}`)}`,
    )
    structLines.push(
      `${doc(`Solidity \`struct ${sname}\` as ethers returns it.`)}export interface ${sname} {\n${out.join("\n")}\n}\n\n` +
        `${doc(`Solidity \`struct ${sname}\` as ethers accepts it.`)}export interface ${sname}Input {\n${inp.join("\n")}\n}\n`,
    )
  }

  const abiText = JSON.stringify(abi, null, 2)
  const body = `${doc(`The ${name} ABI, exactly as compiled.`)}export const ${name}Abi = ${abiText} as const

${structLines.join("\n")}
${doc(`Every ${name} function: its inputs (what ethers accepts), outputs and what a call resolves to.`)}export interface ${name}Functions {
${fnLines.join("\n")}
}

${doc(`Methods of an ethers \`Contract\` bound to the ${name} ABI.`)}export interface ${name}Methods {
${methodLines.join("\n")}
}

${doc(`An ethers \`Contract\` for ${name}, typed from its ABI.`)}export type ${name}Contract = BaseContract & ${name}Methods

${doc(`Every ${name} event with its decoded arguments.`)}export interface ${name}Events {
${eventLines.join("\n")}
}

${doc(`topic0 of every ${name} event.`)}export const ${name}EventTopics = {
${topicLines.join("\n")}
} as const

${doc(`Every ${name} custom error: name → argument tuple.`)}export interface ${name}Errors {
${errorTupleLines.join("\n")}
}

${doc(`Every ${name} custom error: name → named arguments.`)}export interface ${name}ErrorArgs {
${errorArgLines.join("\n")}
}

export type ${name}ErrorName = keyof ${name}ErrorArgs

${doc(`4-byte selector of every ${name} custom error.`)}export const ${name}ErrorSelectors = {
${selectorLines.join("\n")}
} as const satisfies Record<${name}ErrorName, string>

${doc(`Canonical signature of every ${name} custom error.`)}export const ${name}ErrorSignatures = {
${signatureLines.join("\n")}
} as const satisfies Record<${name}ErrorName, string>
`
  const ethersTypes = [
    "AddressLike",
    "BaseContract",
    "BigNumberish",
    "BytesLike",
    "ConstantContractMethod",
    "ContractMethod",
    "ContractTransactionResponse",
  ].filter((n) => new RegExp(`\\b${n}\\b`).test(body.replace(abiText, "")))
  const header = `// Generated by codegen/generate.mjs from artifacts/${name}.json. Do not edit; run \`pnpm codegen\`.
import type { ${ethersTypes.join(", ")} } from "ethers"

`
  return `${header}${body}`.replace(/\n{3,}/g, "\n\n")
}

/** The barrel re-exporting every generated module. */
export const generateIndex = (names = CONTRACTS) =>
  `// Generated by codegen/generate.mjs. Do not edit; run \`pnpm codegen\`.\n${names
    .map(
      (n) =>
        `export type * as ${n}Types from "./${n}.js"\nexport {\n  ${n}Abi,\n  ${n}ErrorSelectors,\n  ${n}ErrorSignatures,\n  ${n}EventTopics,\n  type ${n}Contract,\n  type ${n}ErrorArgs,\n  type ${n}ErrorName,\n  type ${n}Errors,\n  type ${n}Events,\n  type ${n}Functions,\n  type ${n}Methods,\n} from "./${n}.js"\n`,
    )
    .join("")}`

/** File name → expected contents, for every generated file. */
export const generateAll = (fromDir = ARTIFACTS_DIR) => {
  const files = new Map()
  for (const name of CONTRACTS) files.set(`${name}.ts`, generateModule(name, readAbi(join(fromDir, `${name}.json`))))
  files.set("index.ts", generateIndex())
  return files
}

const main = (argv) => {
  const fromIdx = argv.indexOf("--from")
  const from = fromIdx >= 0 ? resolve(argv[fromIdx + 1]) : ARTIFACTS_DIR
  const files = generateAll(from)
  if (argv.includes("--check")) {
    const stale = [...files].filter(([f, text]) => {
      try {
        return readFileSync(join(GENERATED_DIR, f), "utf8") !== text
      } catch {
        return true
      }
    })
    if (stale.length > 0) {
      process.stderr.write(`stale generated files: ${stale.map(([f]) => f).join(", ")}; run pnpm codegen\n`)
      process.exit(1)
    }
    return
  }
  mkdirSync(GENERATED_DIR, { recursive: true })
  for (const [f, text] of files) writeFileSync(join(GENERATED_DIR, f), text)
  process.stdout.write(`wrote ${[...files.keys()].join(", ")} to ${GENERATED_DIR}\n`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2))
