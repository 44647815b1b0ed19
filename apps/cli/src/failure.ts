/**
 * The one place where a failure becomes what a user reads. SDK errors name SDK calls; here each tag gets its CLI
 * wording (commands and flags), causes are unwrapped (no Effect wording ever reaches a user), network failures name
 * the address and the fix, URL credentials are redacted and control characters neutralised.
 */
import { formatZG } from "@0g-compute/core/light"
import { Data } from "effect"
import type { Command } from "effect/cli"
import type { cli } from "./cli.js"
import { HIDDEN_KEY, hideTypedKeys, looksLikeKey, neutralise, redact, rpcDisplay } from "./sanitize.js"

/** Where a signing key comes from, for every message that asks for one. */
export const KEY_HINT = "set ZG_PRIVATE_KEY, pass --key-file <path> or --key <keystore name>"

/** `devnet up` on a port another process holds. */
export class PortInUse extends Data.TaggedError("PortInUse")<{ readonly port: number }> {
  override get message() {
    return `port ${this.port} is in use; pass --port <n> (or stop what listens there)`
  }
}

/** The embedded devnet did not start for another reason than a busy port. */
export class DevnetStartFailed extends Data.TaggedError("DevnetStartFailed")<{
  readonly port: number
  readonly detail: string
}> {
  override get message() {
    return `the devnet did not start on port ${this.port}: ${this.detail}`
  }
}

/** `ledger show` without --address and without a key: whose ledger is unknown. */
export class AddressNeeded extends Data.TaggedError("AddressNeeded")<{ readonly command: string }> {
  override get message() {
    return `\`${this.command}\` needs an address: pass --address <0x…>, or a key (${KEY_HINT})`
  }
}

/**
 * An output file that exists, refused unless --overwrite: storage's error (tag, field, message) without loading
 * storage, so the one CLI wording below serves both.
 */
export class OutputExists extends Data.TaggedError("OutputExists")<{ readonly path: string }> {
  override get message() {
    return `${this.path} already exists`
  }
}

/** What a command may fail with: a tagged error whose `message` is its one-line default wording. */
export interface TaggedFailure {
  readonly _tag: string
  readonly message: string
}

/** What the error printer needs to know about the invocation. */
export interface FailureContext {
  /** The RPC URL in effect (for "nothing listens on …"), when it could be resolved. */
  readonly rpcUrl?: string | undefined
}

export interface Failure {
  readonly _tag: string
  readonly message: string
  readonly fields: Readonly<Record<string, unknown>>
  /** The underlying error (Effect wrappers removed), for --verbose. */
  readonly source: unknown
}

// biome-ignore lint/suspicious/noExplicitAny: revert arguments are decoded from the chain, by error name
type RevertWording = (args: any, ctx: FailureContext) => string | undefined

/** Every error a command can fail with: the union of the handlers' error channels, as tsc computes it. */
export type CliFailure = Command.Error<typeof cli>

/** The tags of {@link CliFailure} (a member with a wide `string` tag would contribute none: error-channels.test.ts). */
type CliTag = CliFailure extends infer F
  ? F extends { readonly _tag: infer K }
    ? string extends K
      ? never
      : K
    : never
  : never

/** A tag's CLI wording, reading that tag's own fields; undefined falls back to the error's message. */
type Wordings = {
  readonly [K in CliTag]?: (e: Extract<CliFailure, { readonly _tag: K }>, ctx: FailureContext) => string | undefined
}

const firstLine = (s: string) => s.split("\n")[0] ?? ""

const causeMessage = (u: unknown): string => {
  if (u instanceof Error) return firstLine(u.message)
  if (typeof u === "object" && u !== null && typeof (u as { message?: unknown }).message === "string")
    return firstLine((u as { message: string }).message)
  try {
    return firstLine(String(u))
  } catch {
    return "unknown failure"
  }
}

interface NetFault {
  readonly code: string
  readonly host: string | undefined
  readonly port: number | undefined
}

/** Finds a socket-level failure (ECONNREFUSED, ENOTFOUND, …) anywhere in the cause chain. */
const netFault = (u: unknown, depth = 0): NetFault | undefined => {
  if (depth > 8 || typeof u !== "object" || u === null) return undefined
  const o = u as { code?: unknown; address?: unknown; port?: unknown; hostname?: unknown; message?: unknown }
  const code = typeof o.code === "string" ? o.code : undefined
  if (code !== undefined && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH)$/.test(code)) {
    const host = typeof o.address === "string" ? o.address : typeof o.hostname === "string" ? o.hostname : undefined
    return { code, host, port: typeof o.port === "number" ? o.port : undefined }
  }
  const m =
    typeof o.message === "string" ? /\b(ECONNREFUSED|ENOTFOUND) ([^\s:]+|\[[^\]]+\]):?(\d+)?/.exec(o.message) : null
  if (m) return { code: m[1] ?? "", host: m[2], port: m[3] === undefined ? undefined : Number(m[3]) }
  for (const next of [(u as { cause?: unknown }).cause, (u as { error?: unknown }).error]) {
    const found = netFault(next, depth + 1)
    if (found) return found
  }
  if (Array.isArray((u as { errors?: unknown }).errors))
    for (const inner of (u as { errors: unknown[] }).errors) {
      const found = netFault(inner, depth + 1)
      if (found) return found
    }
  return undefined
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"])

const hostPort = (url: string): { host: string; port: number } | undefined => {
  try {
    const u = new URL(url)
    return { host: u.hostname, port: Number(u.port || (u.protocol === "https:" ? 443 : 80)) }
  } catch {
    return undefined
  }
}

/** "nothing listens on …" for the configured RPC; undefined when the failure is not the RPC's socket. */
const rpcUnreachable = (cause: unknown, ctx: FailureContext): string | undefined => {
  const fault = netFault(cause)
  if (fault === undefined || ctx.rpcUrl === undefined) return undefined
  const rpc = hostPort(ctx.rpcUrl)
  if (rpc === undefined) return undefined
  if (fault.port !== undefined && fault.port !== rpc.port) return undefined
  const where = `${rpc.host}:${rpc.port}`
  if (fault.code === "ECONNREFUSED" && LOOPBACK.has(rpc.host)) {
    const up = rpc.port === 8545 ? "`0g-compute devnet up`" : `\`0g-compute devnet up --port ${rpc.port}\``
    return `nothing listens on ${where} — start ${up} or pass --network testnet|mainnet`
  }
  const why =
    fault.code === "ECONNREFUSED"
      ? "connection refused"
      : fault.code === "ENOTFOUND" || fault.code === "EAI_AGAIN"
        ? "host not found"
        : fault.code === "ETIMEDOUT"
          ? "timed out"
          : "connection lost"
  return `cannot reach the RPC ${rpcDisplay(ctx.rpcUrl)} (${why}); check --network / --rpc`
}

/** ethers' short message (and the node's own JSON-RPC error text) instead of its long diagnostic dump. */
const rpcFailed = (e: { method: string; cause: unknown }, ctx: FailureContext): string | undefined => {
  const c = e.cause as
    | { shortMessage?: unknown; error?: { message?: unknown }; info?: { responseStatus?: unknown } }
    | undefined
  if (typeof c?.shortMessage !== "string") return undefined
  const nodeSays = typeof c.error?.message === "string" ? c.error.message : undefined
  const status = typeof c.info?.responseStatus === "string" ? c.info.responseStatus : undefined
  const what = c.shortMessage === "could not coalesce error" && nodeSays !== undefined ? nodeSays : c.shortMessage
  const where = ctx.rpcUrl === undefined ? "" : ` at ${rpcDisplay(ctx.rpcUrl)}`
  return `RPC call ${e.method}${where} failed: ${status !== undefined && !what.includes(status) ? `${what} (${status})` : what}`
}

const REVERT_WORDING: Record<string, RevertWording> = {
  LedgerNotExists: (a) => `no ledger exists for ${a.user}; create one with \`0g-compute ledger add <amount>\``,
  LedgerExists: (a) => `a ledger already exists for ${a.user}; add funds with \`0g-compute ledger deposit <amount>\``,
  AccountNotExists: (a) =>
    `no sub-account of ${a.user} with provider ${a.provider}; fund one with \`0g-compute ledger transfer --provider ${a.provider} --service <inference|fine-tuning> <amount>\``,
  DirectDepositsDisabled: () =>
    "this contract does not accept plain transfers; use `0g-compute ledger deposit <amount>`",
}

/**
 * Every tag whose SDK wording would send a CLI user to an SDK call, a non-existent flag, or nowhere. Keyed by the tags
 * commands can fail with (a tag no command raises does not compile); every other tag prints its own message.
 */
const CLI_WORDING: Wordings = {
  RpcError: (e, ctx) => rpcUnreachable(e.cause, ctx) ?? rpcFailed(e, ctx),
  ConnectionRequired: (e, ctx) => rpcUnreachable(e, ctx),
  ProviderUnreachable: (e, ctx) => rpcUnreachable(e.cause, ctx),
  MalformedProviderResponse: (e) =>
    `provider ${e.provider} sent a malformed ${e.what} (${e.detail}); its answer is not shown — try again or another --provider`,
  SignerRequired: () => `this command needs a signing key: ${KEY_HINT}`,
  UnknownNetwork: (e) =>
    `unknown --network ${JSON.stringify(e.input)}: use devnet, testnet, testnet-dev, mainnet or an http(s) RPC URL`,
  UnknownChainId: (e) =>
    `chain id ${e.chainId} is not a 0G network this CLI knows; pass --network devnet|testnet|testnet-dev|mainnet (with --rpc <url> for another endpoint)`,
  ChainMismatch: (e) =>
    `the RPC is on chain ${e.actual}, expected ${e.expected} for this --network; pass the matching preset, or the RPC URL alone as --network`,
  LedgerNotFound: (e) => REVERT_WORDING.LedgerNotExists?.(e, {}),
  LedgerAlreadyExists: (e) => REVERT_WORDING.LedgerExists?.(e, {}),
  ContractRevert: (e, ctx) => REVERT_WORDING[e.error]?.(e.args ?? {}, ctx),
  TransactionReverted: (e, ctx) => {
    const why = e.revert === undefined ? undefined : REVERT_WORDING[e.revert.error]?.(e.revert.args ?? {}, ctx)
    return why === undefined ? undefined : `transaction ${e.hash} reverted: ${why}`
  },
  SubAccountMissing: (e) =>
    `${e.user} has no inference sub-account with provider ${e.provider}; open one with \`0g-compute inference ack --provider ${e.provider} --fund <amount>\``,
  InsufficientSubAccountBalance: (e) =>
    `insufficient sub-account balance with provider ${e.provider}${
      typeof e.required === "bigint" && typeof e.available === "bigint"
        ? `: need ${formatZG(e.required)} 0G locked, have ${formatZG(e.available)} 0G`
        : ""
    }; top it up with \`0g-compute ledger transfer --provider ${e.provider} --service inference <amount>\``,
  ProviderNotAcknowledged: (e) =>
    // inference's carries a level (owner: the contract owner's vetting, not the user's to fix); fine-tuning's has none.
    !("level" in e)
      ? `you have not acknowledged provider ${e.provider}; run \`0g-compute fine-tuning ack-provider --provider ${e.provider}\` first`
      : e.level === "owner"
        ? undefined
        : `provider ${e.provider} is not acknowledged by this account; run \`0g-compute inference ack --provider ${e.provider}\` first`,
  QuoteRejected: (e) =>
    `fine-tuning provider ${e.provider} failed attestation (${(e.failed as string[]).join(", ")}); pass --allow-unverified to accept it anyway, or --allow-devnet for a devnet provider`,
  AttestationRejected: (e) =>
    `provider ${e.provider} failed attestation (${(e.failed as string[]).join(", ")}); pass --allow-unverified to accept it anyway, or --allow-devnet for a devnet provider`,
  ApiKeyIdsExhausted: (e) =>
    `all 255 API key ids for provider ${e.provider} are issued or revoked; run \`0g-compute inference api-key revoke-all --provider ${e.provider}\` to start a new generation`,
  PreviousDeliverableUnacknowledged: (e) =>
    `the model of task ${e.taskId} is not acknowledged; run \`0g-compute fine-tuning ack-model --provider ${e.provider} --task ${e.taskId}\` (or with --without-download) before the provider's deadline, or the pair is locked`,
  ProviderBusy: (e) => `provider ${e.provider} is busy (${e.pending} task(s) pending): ${e.detail}; retry later`,
  PipelineStateMismatch: (e) =>
    `the state file ${e.path} belongs to another run (${e.reason}); pass another --out directory for this one`,
  OutputExists: (e) => `${e.path} already exists; pass --overwrite to replace it`,
  TransactionTimeout: (e) =>
    `transaction ${e.hash} is not mined yet; follow it with \`0g-compute tx wait ${e.hash}\`, or \`tx speed-up ${e.hash}\` / \`tx cancel ${e.hash}\` — rerunning this command reports it instead of paying twice`,
  TransactionOutcomeUnknown: (e) =>
    `transaction ${e.hash} (nonce ${e.nonce}) may have reached the network (${e.reason}); check it with \`0g-compute tx wait ${e.hash}\` before sending again`,
  PendingIntentExists: (e) =>
    `an earlier transaction ${e.hash} for this same operation is still pending; \`0g-compute tx wait ${e.hash}\`, \`tx speed-up ${e.hash}\` or \`tx cancel ${e.hash}\``,
  NonceConsumed: (e) =>
    `transaction ${e.hash} can no longer be mined: nonce ${e.nonce} was used by another transaction from this account; see \`0g-compute tx pending\` and check your balance before sending again`,
}

const isTagged = (u: unknown): u is Error & { readonly _tag: string } =>
  typeof u === "object" && u !== null && typeof (u as { _tag?: unknown })._tag === "string"

/** Effect's own wrappers (UnknownError of a bare tryPromise, a squashed cause) carry the real failure as `cause`. */
const unwrap = (error: unknown): unknown => {
  let e = error
  for (let i = 0; i < 5 && isTagged(e) && /^(UnknownError|UnknownException)$/.test(e._tag) && e.cause; i++) e = e.cause
  return e
}

/** An error's data fields for the JSON document (never its cause, stack or Effect's markers). */
const fieldsOf = (e: object): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(e))
    if (k !== "_tag" && k !== "cause" && k !== "stack" && k !== "message" && !k.startsWith("~")) out[k] = v
  return out
}

/** The tag, the CLI message and the fields a program can act on, for any failure. */
export const describeFailure = (error: unknown, ctx: FailureContext = {}): Failure => {
  const e = unwrap(error)
  if (isTagged(e)) {
    const wording = (
      CLI_WORDING as Record<string, ((e: unknown, ctx: FailureContext) => string | undefined) | undefined>
    )[e._tag]
    const own = wording?.(e, ctx)
    const message = own ?? causeMessage(e)
    return { _tag: e._tag, message: clean(message), fields: fieldsOf(e), source: e }
  }
  const net = rpcUnreachable(e, ctx)
  if (net !== undefined) return { _tag: "RpcUnreachable", message: clean(net), fields: {}, source: e }
  const addressInUse = typeof e === "object" && e !== null && (e as { addressInUse?: unknown }).addressInUse === true
  if (addressInUse) return { _tag: "PortInUse", message: clean(causeMessage(e)), fields: {}, source: e }
  const message = clean(`unexpected failure: ${causeMessage(e)}`)
  return { _tag: "UnexpectedError", message, fields: {}, source: e }
}

/** Effect-internal phrasing must never reach a user; if a library leaks one, say what we know instead. */
const EFFECT_WORDING = /An error occurred in Effect\.|FiberFailure|\bDefect\b|UnknownError/

const INTERNAL = "unexpected internal failure (rerun with --verbose for details)"

const clean = (message: string) => {
  const text = neutralise(hideTypedKeys(redact(firstLine(message))))
  return EFFECT_WORDING.test(text) ? INTERNAL : text
}

/**
 * The `--json` error document: `{"error":{"_tag","message",…fields}}`. Its fields pass the same checks as the message
 * (a `detail` or `reason` often quotes a library's text): URL credentials redacted, Effect's wording replaced.
 */
export const errorDocument = (f: Failure) => ({
  error: { _tag: f._tag, message: f.message, ...(cleanField(f.fields) as Record<string, unknown>) },
})

const isPlain = (u: object) => Array.isArray(u) || Object.getPrototypeOf(u) === Object.prototype

/** Fields that hold what the user typed (never a hash or root the CLI reports): hidden when shaped like a key. */
const TYPED = new Set(["input", "name", "path"])

/** Strings at any depth of plain objects and arrays; other values (bigints, class instances) as they are. */
const cleanField = (v: unknown, depth = 0, key = ""): unknown => {
  if (typeof v === "string")
    return EFFECT_WORDING.test(v) ? INTERNAL : TYPED.has(key) && looksLikeKey(v) ? HIDDEN_KEY : redact(v)
  if (typeof v !== "object" || v === null || depth > 8 || !isPlain(v)) return v
  if (Array.isArray(v)) return v.map((x) => cleanField(x, depth + 1))
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cleanField(x, depth + 1, k)]))
}

/** One line for humans; the stack (redacted) only with --verbose. */
export const errorText = (f: Failure, verbose: boolean) => {
  const text = `error: ${f.message}`
  const stack = f.source instanceof Error ? f.source.stack : undefined
  return verbose && stack ? `${text}\n${neutralise(hideTypedKeys(redact(stack)), true)}` : text
}
