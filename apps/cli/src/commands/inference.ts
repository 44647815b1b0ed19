/**
 * `0g-compute inference list|models|verify|ack|chat|serve|api-key …`: discovery, attestation, verified chat, the
 * local gateway and persistent API keys — over @0g-compute/inference's Effect services.
 */
import type { AttestationReport, ExchangeResult, ServiceView, ServiceWithDetail } from "@0g-compute/inference"
import { Data, Effect, Option, Redacted } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { requireKey } from "../context.js"
import { CliIO } from "../io.js"
import * as lazy from "../lazy.js"
import { keyValues, makePrinter, table, zg } from "../output.js"
import { optionalZG, providerFlag, providerPriorityFlag, servePortFlag } from "./flags.js"
import { adaptersCommand } from "./inference-adapters.js"
import { apiKeyCommand } from "./inference-keys.js"
import { imageCommand, transcribeCommand } from "./inference-media.js"
import {
  ackFlags,
  ackOptionsOf,
  exchangeWith,
  inferenceLayer,
  pinFlags,
  pinsOf,
  providerJson,
  withInference,
  withReader,
} from "./inference-shared.js"
import { switchFlag, withGlobals } from "./root.js"

const serviceRow = (s: ServiceView) => [
  s.provider,
  s.model,
  s.url,
  `${s.inputPrice.perMillionZG}`,
  `${s.outputPrice.perMillionZG}`,
  s.teeSignerAcknowledged ? "yes" : "no",
  s.notVerifiableReason === undefined ? "TeeML" : `no (${s.notVerifiableReason})`,
]

const reportText = (r: AttestationReport) =>
  [
    keyValues([
      ["provider", r.provider],
      ["TEE signer", r.teeSignerAddress],
      ["environment", r.environment],
      ["verdict", r.verdict.toUpperCase()],
    ]),
    table(
      ["check", "status", "detail"],
      Object.entries(r.checks).map(([name, c]) => [name, c.status, c.detail]),
    ),
  ].join("\n\n")

const detailRow = (d: ServiceWithDetail) => [
  ...serviceRow(d.service),
  d.health === undefined ? "-" : `${d.health.status} ${d.health.uptime}%`,
  d.health?.avgResponseTime === undefined ? "-" : `${d.health.avgResponseTime} ms`,
  d.models === undefined ? "-" : d.models.map((m) => m.id).join(", ") || "none",
]

const list = Command.make(
  "list",
  {
    all: switchFlag("all", "include services the contract owner has not vetted"),
    detail: switchFlag("detail", "add health and the model catalogue from the network's status API"),
    statusApi: Flag.String("status-api").pipe(
      Flag.withDescription("status API base URL (default: the network's; a devnet prints its own)"),
      Flag.optional,
    ),
  },
  ({ all, detail, statusApi }) =>
    withReader(({ Directory, listServicesWithDetail }, g) =>
      Effect.gen(function* () {
        if (detail) {
          const d = yield* listServicesWithDetail({
            includeUnacknowledged: all,
            ...(Option.isSome(statusApi) ? { statusApi: statusApi.value } : {}),
          })
          return yield* makePrinter(g.json).result(d, () =>
            [
              d.services.length === 0
                ? "no services"
                : table(
                    [
                      "provider",
                      "model",
                      "url",
                      "input 0G/M tok",
                      "output 0G/M tok",
                      "owner-vetted",
                      "verifiable",
                      "health",
                      "latency",
                      "models",
                    ],
                    d.services.map(detailRow),
                  ),
              ...(d.detailUnavailable === undefined ? [] : [`detail unavailable: ${d.detailUnavailable}`]),
            ].join("\n"),
          )
        }
        const services = yield* Directory.use((d) => d.listAll({ includeUnacknowledged: all }))
        yield* makePrinter(g.json).result({ services }, () =>
          services.length === 0
            ? "no services"
            : table(
                ["provider", "model", "url", "input 0G/M tok", "output 0G/M tok", "owner-vetted", "verifiable"],
                services.map(serviceRow),
              ),
        )
      }),
    ),
).pipe(Command.withDescription("list inference services (owner-vetted ones unless --all)"))

const models = Command.make("models", { provider: providerFlag }, ({ provider }) =>
  withReader(({ Directory }, g) =>
    Effect.gen(function* () {
      const catalog = yield* Directory.use((d) => d.models(provider))
      yield* makePrinter(g.json).result(catalog, () =>
        table(
          ["model", "context", "default"],
          catalog.models.map((m) => [
            m.id,
            m.contextLength === undefined ? "-" : String(m.contextLength),
            m.id === catalog.defaultModel ? "yes" : "",
          ]),
        ),
      )
    }),
  ),
).pipe(Command.withDescription("the provider's model catalogue"))

const verify = Command.make("verify", { provider: providerFlag, ...pinFlags }, ({ provider, ...pins }) =>
  withReader(({ Attestation }, g) =>
    Effect.gen(function* () {
      const report = yield* Attestation.use((a) => a.report(provider, pinsOf(pins)))
      yield* makePrinter(g.json).result(report, () => reportText(report))
    }),
  ),
).pipe(Command.withDescription("fetch the provider's attestation and report every check (no transaction)"))

const ack = Command.make("ack", { provider: providerFlag, ...ackFlags }, ({ provider, ...flags }) =>
  withInference(({ Attestation }, g) =>
    Effect.gen(function* () {
      const options = yield* ackOptionsOf(flags)
      const result = yield* Attestation.use((a) => a.acknowledge(provider, options))
      yield* makePrinter(g.json).result(
        result,
        () =>
          `${reportText(result.report)}\n\non chain: ${result.onChain}${result.tx ? ` (tx ${result.tx.hash})` : ""}`,
      )
    }),
  ),
).pipe(Command.withDescription("verify a provider's attestation and acknowledge it on chain (refused if checks fail)"))

/** "bytes-bound", or the level with what it does not bind, or the routing proof's upstream claim. */
const levelText = (x: ExchangeResult | undefined): string => {
  if (x?.level === undefined) return "-"
  const routing = x.receipt?.routing
  const claim =
    routing === undefined
      ? ""
      : ` (routing proof: ${routing.providerIdentity}, TLS ${routing.tlsCertFingerprint.slice(0, 16)}…)`
  const unbound = x.receipt?.unbound === undefined ? "" : ` — ${x.receipt.unbound}`
  return `${x.level}${claim}${unbound}`
}

type ChatDoc = { choices?: Array<{ message?: { content?: string }; delta?: { content?: string } }> }

/** The answer in a chat reply: the message, or a stream's deltas joined; a non-JSON event is the provider's fault. */
const chatAnswer = (provider: string, stream: boolean, text: string) =>
  Effect.gen(function* () {
    if (!stream) {
      const doc = (yield* providerJson(provider, "chat completion", text)) as ChatDoc
      return doc.choices?.[0]?.message?.content ?? ""
    }
    let answer = ""
    for (const line of text.split("\n")) {
      if (!line.startsWith("data: ") || line === "data: [DONE]") continue
      const doc = (yield* providerJson(provider, "stream event", line.slice(6))) as ChatDoc
      answer += doc.choices?.[0]?.delta?.content ?? ""
    }
    return answer
  })

const chat = Command.make(
  "chat",
  {
    provider: providerFlag,
    stream: switchFlag("stream", "stream the answer"),
    model: Flag.String("model").pipe(Flag.withDescription("model id (default: the provider's)"), Flag.optional),
    message: Argument.String("message").pipe(Argument.withDescription("what to ask")),
    allowUnverifiable: switchFlag(
      "allow-unverifiable",
      "use a provider that never signs (a standard provider); the answer is marked unverifiable",
    ),
  },
  ({ provider, stream, model, message, allowUnverifiable }) =>
    withInference((m, g) =>
      Effect.gen(function* () {
        const service = yield* m.Directory.use((d) => d.get(provider))
        const body = JSON.stringify({
          model: Option.getOrElse(model, () => service.model),
          messages: [{ role: "user", content: message }],
          stream,
        })
        // A stream is read to its end inside the exchange: verification fails there, before [DONE].
        const reply = yield* exchangeWith(
          m,
          service.provider,
          { path: "/v1/proxy/chat/completions", headers: { "content-type": "application/json" }, body },
          { allowUnverifiable },
        )
        const exchange = reply.exchange
        const answer = yield* chatAnswer(service.provider, stream, reply.text)
        const record = exchange?.record
        const receipt = exchange?.receipt
        const level = {
          level: exchange?.level,
          ...(receipt?.unbound === undefined ? {} : { unbound: receipt.unbound }),
          ...(receipt?.routing === undefined ? {} : { routing: receipt.routing }),
        }
        yield* makePrinter(g.json).result({ answer, usage: record, ...level }, () =>
          [
            answer,
            "",
            keyValues([
              ["verification", record?.verdict ?? "unknown"],
              ["level", levelText(exchange)],
              ["tokens", record ? `${record.promptTokens} in, ${record.completionTokens} out` : "-"],
              ["fee", record ? zg(record.fee) : "-"],
            ]),
          ].join("\n"),
        )
      }),
    ),
).pipe(Command.withDescription("ask a provider; the response is verified against its TEE signature before it is shown"))

const MIN_TOKEN_LENGTH = 32
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1"])

export class GatewayTokenTooShort extends Data.TaggedError("GatewayTokenTooShort")<{
  readonly length: number
  readonly minimum: number
}> {
  override get message() {
    return `ZG_GATEWAY_TOKEN has ${this.length} characters; use at least ${this.minimum} (e.g. \`openssl rand -hex 32\`), or unset it to get a generated one`
  }
}

const serve = Command.make(
  "serve",
  {
    providers: providerPriorityFlag,
    port: servePortFlag(8787),
    host: Flag.String("host").pipe(
      Flag.withDescription("bind address (anything but loopback is warned about)"),
      Flag.withDefault("127.0.0.1"),
    ),
    cap: Flag.String("spending-cap").pipe(
      Flag.withDescription("a budget: each request reserves its maximum cost; one that does not fit gets 402"),
      Flag.optional,
    ),
    verifyMode: Flag.Literals("verify", ["pass-through", "buffer"]).pipe(
      Flag.withDescription("streams: relay as they arrive and mark the verdict at the end, or hold until verified"),
      Flag.withDefault("pass-through" as const),
    ),
  },
  ({ providers, port, host, cap, verifyMode }) =>
    withGlobals((g) =>
      Effect.gen(function* () {
        const spendingCap = yield* optionalZG(cap)
        const io = yield* CliIO
        const envToken = io.env.ZG_GATEWAY_TOKEN || undefined
        if (envToken !== undefined && envToken.length < MIN_TOKEN_LENGTH)
          return yield* new GatewayTokenTooShort({ length: envToken.length, minimum: MIN_TOKEN_LENGTH })
        if (!LOOPBACK_HOSTS.has(host))
          io.stderr(
            `warning: --host ${host} exposes the gateway beyond this machine; anyone who reaches it with the token spends your funds (default: 127.0.0.1)\n`,
          )
        yield* requireKey(g)
        const { makeGateway } = yield* lazy.inferenceNode
        return yield* Effect.gen(function* () {
          // Stopped when the command's scope closes (Ctrl-C).
          const gateway = yield* makeGateway({
            providers,
            host,
            port,
            verify: verifyMode,
            ...(spendingCap === undefined ? {} : { spendingCap }),
            ...(envToken ? { token: Redacted.make(envToken) } : {}),
          })
          // The bearer token is shown once when we generated it; with ZG_GATEWAY_TOKEN the caller already has it.
          const token = envToken ? "(from ZG_GATEWAY_TOKEN)" : Redacted.value(gateway.token)
          yield* makePrinter(g.json).result(
            { url: gateway.url, openAIBaseUrl: `${gateway.url}/v1`, token, providers, verify: verifyMode },
            () =>
              keyValues([
                ["gateway", `${gateway.url}/v1 (OpenAI-compatible)`],
                ["bearer token", token],
                ["providers", providers.join(", ")],
                ["spending cap", spendingCap === undefined ? "none" : zg(spendingCap)],
                ["streams", verifyMode === "buffer" ? "held until verified" : "pass-through, verdict at the end"],
              ]),
          )
          return yield* Effect.never
        }).pipe(Effect.scoped, Effect.provide(inferenceLayer(g)))
      }),
    ),
).pipe(Command.withDescription("run a local OpenAI-compatible gateway that verifies every response"))

export const inferenceCommand = Command.make("inference").pipe(
  Command.withDescription("discover, verify and call inference providers"),
  Command.withSubcommands([
    list,
    models,
    verify,
    ack,
    chat,
    imageCommand,
    transcribeCommand,
    serve,
    apiKeyCommand,
    adaptersCommand,
  ]),
)
