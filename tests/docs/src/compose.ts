/**
 * One README → one ES module. The convention:
 * - the README's ts/js blocks run in order as ONE module sharing one scope (a later block sees an earlier block's
 *   `const`s), with top-level `await`;
 * - their `import` declarations are hoisted to the top and merged (the same binding imported twice is fine; one
 *   local name bound to two different things is an error);
 * - the prelude names (see prelude.ts) are in an outer scope, so a README's own declaration shadows them;
 * - a block marked ```ts no-run is type-checked in place (inside a function that is never called) but not run.
 */
import ts from "typescript"
import { type CodeBlock, NO_RUN } from "./extract.js"

export interface BlockRef {
  readonly index: number
  readonly file: string
  readonly line: number
  readonly run: boolean
}

export interface ComposedModule {
  readonly source: string
  /** For each 0-based line of `source`, the README position it came from (undefined for harness lines). */
  readonly lineMap: ReadonlyArray<{ readonly file: string; readonly line: number } | undefined>
  readonly blocks: ReadonlyArray<BlockRef>
}

export class ImportConflict extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly local: string,
  ) {
    super(`${file}:${line}: "${local}" is imported again with another meaning; one README is one module`)
  }
}

/** The names prelude.ts provides. */
export const PRELUDE_NAMES = [
  "rpcUrl",
  "privateKey",
  "signer",
  "indexerUrl",
  "flowAddress",
  "inferenceProvider",
  "fineTuningProvider",
  "chatModel",
] as const

interface Binding {
  readonly module: string
  /** "default", "*" or the imported name. */
  readonly imported: string
  readonly local: string
  readonly typeOnly: boolean
}

const blankOut = (text: string) => text.replace(/[^\n]/g, " ")

/** Splits a block into its import bindings (plus side-effect imports) and its code with the imports blanked. */
const splitImports = (block: CodeBlock) => {
  const sf = ts.createSourceFile("block.ts", block.code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const bindings: Array<Binding & { readonly line: number }> = []
  const sideEffects: Array<string> = []
  let body = block.code
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st)) continue
    const start = st.getStart(sf)
    const line = block.line + sf.getLineAndCharacterOfPosition(start).line
    body = body.slice(0, start) + blankOut(body.slice(start, st.end)) + body.slice(st.end)
    const module = (st.moduleSpecifier as ts.StringLiteral).text
    const clause = st.importClause
    if (clause === undefined) {
      sideEffects.push(module)
      continue
    }
    const clauseType = clause.isTypeOnly
    if (clause.name) bindings.push({ module, imported: "default", local: clause.name.text, typeOnly: clauseType, line })
    const nb = clause.namedBindings
    if (nb && ts.isNamespaceImport(nb)) {
      bindings.push({ module, imported: "*", local: nb.name.text, typeOnly: clauseType, line })
    } else if (nb) {
      for (const el of nb.elements) {
        const imported = (el.propertyName ?? el.name).text
        bindings.push({ module, imported, local: el.name.text, typeOnly: clauseType || el.isTypeOnly, line })
      }
    }
  }
  return { bindings, sideEffects, body }
}

const importText = (module: string, bindings: ReadonlyArray<Binding>) => {
  const spec = JSON.stringify(module)
  const out: Array<string> = []
  const def = bindings.find((b) => b.imported === "default")
  const ns = bindings.find((b) => b.imported === "*")
  const named = bindings
    .filter((b) => b.imported !== "default" && b.imported !== "*")
    .map((b) => `${b.typeOnly ? "type " : ""}${b.imported === b.local ? b.local : `${b.imported} as ${b.local}`}`)
  if (ns) out.push(`import ${ns.typeOnly ? "type " : ""}* as ${ns.local} from ${spec}`)
  if (def?.typeOnly && named.length === 0) out.push(`import type ${def.local} from ${spec}`)
  else if (def || named.length > 0) {
    const parts = [def?.local, named.length > 0 ? `{ ${named.join(", ")} }` : undefined].filter((p) => p)
    out.push(`import ${parts.join(", ")} from ${spec}`)
  }
  return out
}

/** `preludeSpecifier`: how the generated module imports prelude.ts (relative to where it is written). */
export const composeModule = (
  readme: string,
  blocks: ReadonlyArray<CodeBlock>,
  preludeSpecifier: string,
): ComposedModule => {
  const code = blocks.filter((b) => b.kind === "code")
  const byLocal = new Map<string, Binding & { readonly file: string; readonly line: number }>()
  const sideEffects = new Set<string>()
  const bodies: Array<{ block: CodeBlock; body: string }> = []
  for (const block of code) {
    const split = splitImports(block)
    for (const m of split.sideEffects) sideEffects.add(m)
    for (const b of split.bindings) {
      const seen = byLocal.get(b.local)
      if (seen === undefined) {
        byLocal.set(b.local, { ...b, file: block.file })
      } else if (seen.module !== b.module || seen.imported !== b.imported) {
        throw new ImportConflict(block.file, b.line, b.local)
      } else if (seen.typeOnly && !b.typeOnly) {
        byLocal.set(b.local, { ...seen, typeOnly: false })
      }
    }
    bodies.push({ block, body: split.body })
  }

  const lines: Array<string> = []
  const lineMap: Array<{ file: string; line: number } | undefined> = []
  const harness = (text: string) => {
    for (const l of text.split("\n")) {
      lines.push(l)
      lineMap.push(undefined)
    }
  }
  harness(`// Generated by tests/docs from ${readme}; do not edit.`)
  for (const module of sideEffects) harness(`import ${JSON.stringify(module)}`)
  // One import declaration per README import line (bindings seen before are dropped), so a type error in an import
  // is reported at the README line it came from.
  const groups = new Map<string, Array<Binding & { readonly file: string; readonly line: number }>>()
  for (const b of byLocal.values()) {
    const key = `${b.file}:${b.line}\0${b.module}`
    groups.set(key, [...(groups.get(key) ?? []), b])
  }
  for (const bindings of groups.values()) {
    const first = bindings[0] as Binding & { file: string; line: number }
    for (const l of importText(first.module, bindings)) {
      lines.push(l)
      lineMap.push({ file: first.file, line: first.line })
    }
  }
  harness(`import { __block, __docs, __done, __fail } from ${JSON.stringify(preludeSpecifier)}`)
  harness(`const { ${PRELUDE_NAMES.join(", ")} } = __docs`)
  harness("try {")
  const refs: Array<BlockRef> = []
  bodies.forEach(({ block, body }, index) => {
    const run = !block.flags.includes(NO_RUN)
    refs.push({ index, file: block.file, line: block.line, run })
    harness(run ? `__block(${index})` : `async function __noRun${index}() {`)
    body.split("\n").forEach((l, i) => {
      lines.push(l)
      lineMap.push({ file: block.file, line: block.line + i })
    })
    if (!run) harness(`}\nvoid __noRun${index}`)
  })
  harness("__done()\n} catch (e) {\n  __fail(e)\n}")
  return { source: `${lines.join("\n")}\n`, lineMap, blocks: refs }
}
