/** The error printer's wording, redaction and neutralisation as pure functions (whole commands, in-process: failures.test.ts). */
import { PendingIntentExists, TransactionOutcomeUnknown, TransactionTimeout } from "@0g-compute/contracts"
import { ChainMismatch, ProviderHttpError, ProviderUnreachable, RpcError, SignerRequired } from "@0g-compute/core"
import { Cause } from "effect"
import { describe, expect, it } from "vitest"
import { describeFailure, errorDocument } from "./failure.js"
import { forTerminal, toJson } from "./output.js"
import { permissionWarning } from "./permissions.js"
import { jsonRequested } from "./presenter.js"
import { neutralise, redact, registerUrl, rpcDisplay } from "./sanitize.js"

const refused = (port: number) =>
  Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), {
    code: "ECONNREFUSED",
    address: "127.0.0.1",
    port,
  })

describe("describeFailure", () => {
  it("names the default devnet port and the command that starts it", () => {
    const f = describeFailure(new RpcError({ method: "eth_chainId", cause: refused(8545) }), {
      rpcUrl: "http://127.0.0.1:8545",
    })
    expect(f.message).toBe(
      "nothing listens on 127.0.0.1:8545 — start `0g-compute devnet up` or pass --network testnet|mainnet",
    )
    const other = describeFailure(new RpcError({ method: "eth_chainId", cause: refused(9545) }), {
      rpcUrl: "http://127.0.0.1:9545",
    })
    expect(other.message).toMatch(/start `0g-compute devnet up --port 9545`/)
  })

  it("points a transaction whose outcome is open at `tx wait|speed-up|cancel <hash>`, never at a rerun", () => {
    const hash = `0x${"ab".repeat(32)}`
    for (const e of [
      new TransactionTimeout({ hash, timeoutMs: 120_000 }),
      new TransactionOutcomeUnknown({ hash, nonce: 7, reason: "socket hang up" }),
      new PendingIntentExists({ intent: "ledger.deposit:0x1:1", hash, nonce: 7 }),
    ]) {
      const message = describeFailure(e).message
      expect(message).toContain(`0g-compute tx wait ${hash}`)
      expect(message).not.toMatch(/by its hash|wait for it/)
    }
  })

  it("does not blame the RPC for a provider's refused socket", () => {
    const cause = refused(7777)
    const f = describeFailure(new ProviderUnreachable({ provider: "0xp", url: "http://127.0.0.1:7777/v1", cause }), {
      rpcUrl: "http://127.0.0.1:8545",
    })
    expect(f.message).not.toMatch(/nothing listens/)
    expect(f.message).toMatch(/0xp/)
  })

  it("speaks CLI words for SDK errors: commands and flags, never SDK options", () => {
    expect(describeFailure(new SignerRequired({ operation: "ledger add" })).message).toMatch(
      /ZG_PRIVATE_KEY, pass --key-file <path> or --key/,
    )
    expect(describeFailure(new ChainMismatch({ expected: 16661n, actual: 31337n })).message).toMatch(/--network/)
    const revert = Object.assign(new Error("x"), {
      _tag: "ContractRevert",
      error: "LedgerNotExists",
      args: { user: "0xabc" },
    })
    expect(describeFailure(revert).message).toBe(
      "no ledger exists for 0xabc; create one with `0g-compute ledger add <amount>`",
    )
    const rejected = Object.assign(new Error("pass allowUnverified (or allowDevnet on a devnet)"), {
      _tag: "AttestationRejected",
      provider: "0xp",
      failed: ["quote"],
    })
    const msg = describeFailure(rejected).message
    expect(msg).toMatch(/--allow-unverified/)
    expect(msg).toMatch(/--allow-devnet/)
    expect(msg).not.toMatch(/allowDevnet|allowUnverified/)
  })

  it("unwraps Effect's UnknownError and never prints Effect wording", () => {
    const wrapped = new Cause.UnknownError(refused(8545), "An error occurred in Effect.tryPromise")
    const f = describeFailure(wrapped, { rpcUrl: "http://127.0.0.1:8545" })
    expect(f.message).toMatch(/^nothing listens on 127\.0\.0\.1:8545/)
    const leaked = describeFailure(new Error("An error occurred in Effect.tryPromise"))
    expect(leaked.message).not.toMatch(/Effect|An error occurred in/)
    expect(leaked._tag).toBe("UnexpectedError")
  })

  it("never lets Effect wording through a field of the --json document either, at any depth", () => {
    const internal = "An error occurred in Effect.tryPromise"
    const scrubbed = "unexpected internal failure (rerun with --verbose for details)"
    // A provider's error text quoting Effect's wording: neither the message nor the detail field passes it on.
    const quoted = describeFailure(new ProviderHttpError({ provider: "0xp", url: "u", status: 500, detail: internal }))
    const doc = toJson(errorDocument(quoted))
    expect(doc).not.toMatch(/Effect\.|An error occurred in/)
    expect(JSON.parse(doc).error).toEqual({
      _tag: "ProviderHttpError",
      message: scrubbed,
      provider: "0xp",
      url: "u",
      status: 500,
      detail: scrubbed,
    })
    const nested = Object.assign(new Error("odd"), { _tag: "Odd", steps: [{ why: internal }], fee: 5n })
    const nestedDoc = JSON.parse(toJson(errorDocument(describeFailure(nested)))).error
    expect(nestedDoc).toEqual({ _tag: "Odd", message: "odd", steps: [{ why: scrubbed }], fee: "5" })
  })

  it("keeps fields for --json but never the cause or stack", () => {
    const doc = errorDocument(describeFailure(new RpcError({ method: "eth_call", cause: new Error("boom") })))
    expect(Object.keys(doc.error).sort()).toEqual(["_tag", "message", "method"])
  })
})

describe("terminal safety", () => {
  it("escapes escape sequences, carriage returns and bidi overrides, keeping newlines only when asked", () => {
    const hostile = "ok\x1b[31mred\x1b]0;title\x07\r\u202eevil\x9b2J\tend\nnext"
    expect(neutralise(hostile)).toBe("ok\\x1b[31mred\\x1b]0;title\\x07\\x0d\\u202eevil\\x9b2J\tend\\x0anext")
    expect(forTerminal(hostile)).toContain("end\nnext")
    for (const c of ["\x1b", "\x07", "\r", "\u202e", "\x9b"]) expect(forTerminal(hostile)).not.toContain(c)
    expect(toJson({ s: "a\u009bb\u202ec" })).toBe('{\n  "s": "a\\u009bb\\u202ec"\n}')
  })

  it("redacts URL credentials anywhere and the registered RPC's path and query", () => {
    registerUrl("https://alice:hunter22@rpc.example/v2/K3yK3yK3y?token=T0kenT0ken")
    const text = "GET https://alice:hunter22@rpc.example/v2/K3yK3yK3y?token=T0kenT0ken failed; other http://bob:pw@x/"
    const out = redact(text)
    for (const secret of ["hunter22", "K3yK3yK3y", "T0kenT0ken", "bob:pw"]) expect(out).not.toContain(secret)
    expect(rpcDisplay("https://alice:hunter22@rpc.example/v2/K3yK3yK3y")).toBe("https://rpc.example/***")
    expect(rpcDisplay("http://127.0.0.1:8545")).toBe("http://127.0.0.1:8545")
  })

  it("warns about shared secrets with the chmod that fixes them", () => {
    expect(permissionWarning("/k", "key file", 0o100600, false)).toBeUndefined()
    expect(permissionWarning("/k", "key file", 0o100666, false)).toBe(
      "warning: key file /k is accessible by group/others (mode 666); run `chmod 600 /k`",
    )
    expect(permissionWarning("/d", "keys directory", 0o40700, true)).toBeUndefined()
    expect(permissionWarning("/d", "keys directory", 0o40777, true)).toMatch(/chmod 700 \/d/)
  })

  it("detects --json before a `--` only", () => {
    expect(jsonRequested(["ledger", "show", "--json"])).toBe(true)
    expect(jsonRequested(["inference", "chat", "--", "--json"])).toBe(false)
  })
})
