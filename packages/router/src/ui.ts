/**
 * `/ui`: the dashboard, server-rendered HTML with inline SVG charts and no script. Same auth as the admin API: the
 * admin token as a bearer header, or typed once into the login form, which opens a session (a random id in an
 * HttpOnly, SameSite=Strict cookie; the token itself is never stored in the browser). Everything user-supplied
 * (labels, models, errors) is HTML-escaped.
 */
import { randomBytes } from "node:crypto"
import { formatZG } from "@0g-compute/core"
import type { ProviderHealth } from "@0g-compute/inference/node"
import type { KeyInfo } from "./keys.js"
import type { Breakdown, LoggedRequest } from "./spend.js"

export const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c)

/** UI sessions (in memory: a restart asks for the token again). */
export class Sessions {
  private readonly open = new Map<string, number>()
  constructor(private readonly ttlMs = 12 * 3600_000) {}
  create(): string {
    const id = randomBytes(24).toString("base64url")
    this.open.set(id, Date.now() + this.ttlMs)
    return id
  }
  valid(cookie: string | undefined): boolean {
    const id = /(?:^|;\s*)zgr_ui=([\w-]+)/.exec(cookie ?? "")?.[1]
    if (id === undefined) return false
    const until = this.open.get(id)
    if (until === undefined || until < Date.now()) {
      this.open.delete(id)
      return false
    }
    return true
  }
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fafbfc}h1{font-size:20px}
h2{font-size:15px;margin:24px 0 8px}table{border-collapse:collapse;width:100%;background:#fff}
td,th{border-bottom:1px solid #e3e6ea;padding:4px 8px;text-align:left;font-variant-numeric:tabular-nums}
.bar{background:#e3e6ea;height:10px;width:160px;display:inline-block;vertical-align:middle}
.bar>i{display:block;height:10px;background:#2f6fdf}.lvl-bytes-bound{color:#137333}.lvl-signer-bound{color:#b06000}
.lvl-unverifiable,.lvl-none{color:#c5221f}.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:16px}
.card{background:#fff;padding:12px;border:1px solid #e3e6ea}svg{background:#fff;border:1px solid #e3e6ea}`

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`

export const loginPage = (failed: boolean) =>
  page(
    "0G router — sign in",
    `<h1>0G router</h1>${failed ? '<p data-testid="login-error">Wrong admin token.</p>' : ""}
<form method="post" action="/ui/login"><label>Admin token <input type="password" name="token" autocomplete="off"></label>
<button type="submit">Sign in</button></form>`,
  )

const COLORS = ["#2f6fdf", "#d93025", "#188038", "#f29900", "#9334e6", "#12b5cb", "#e8710a", "#5f6368"]
const zg = (n: bigint) => `${formatZG(n)} 0G`
const short = (a: string) => (a.length > 14 ? `${a.slice(0, 8)}…${a.slice(-4)}` : a)

/** Cumulative spend per series over the minutes of the window, one polyline each. */
const lineChart = (id: string, series: ReadonlyMap<string, ReadonlyArray<{ minute: number; fee: bigint }>>) => {
  const W = 640
  const H = 180
  const points = [...series.values()].flat()
  if (points.length === 0) return `<p data-testid="${id}">No requests yet.</p>`
  const t0 = Math.min(...points.map((p) => p.minute))
  const t1 = Math.max(...points.map((p) => p.minute), t0 + 1)
  const cumulative = [...series].map(([name, ps]) => {
    let sum = 0n
    const line = [...ps]
      .sort((a, b) => a.minute - b.minute)
      .map((p) => {
        sum += p.fee
        return { minute: p.minute, sum }
      })
    return { name, line }
  })
  const top = cumulative.reduce((m, s) => ((s.line.at(-1)?.sum ?? 0n) > m ? (s.line.at(-1)?.sum ?? 0n) : m), 1n)
  const x = (m: number) => 40 + ((m - t0) / (t1 - t0)) * (W - 60)
  const y = (v: bigint) => H - 20 - Number((v * 1000n) / top) * ((H - 40) / 1000)
  const lines = cumulative
    .map((s, i) => {
      const pts = [{ minute: t0, sum: 0n }, ...s.line].map((p) => `${x(p.minute).toFixed(1)},${y(p.sum).toFixed(1)}`)
      return `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${pts.join(" ")}" data-series="${esc(s.name)}"><title>${esc(s.name)}: ${zg(s.line.at(-1)?.sum ?? 0n)}</title></polyline>`
    })
    .join("")
  const legend = cumulative
    .map(
      (s, i) =>
        `<span style="color:${COLORS[i % COLORS.length]}">■</span> ${esc(s.name)} (${zg(s.line.at(-1)?.sum ?? 0n)})`,
    )
    .join(" &nbsp; ")
  return `<svg data-testid="${id}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img"><text x="4" y="14" font-size="11">${zg(top)}</text>${lines}</svg><div>${legend}</div>`
}

/** Horizontal bars: one row per name, width by fee. */
const bars = (id: string, rows: ReadonlyArray<{ name: string; fee: bigint; requests: number }>) => {
  const top = rows.reduce((m, r) => (r.fee > m ? r.fee : m), 1n)
  return `<table data-testid="${id}">${rows
    .map(
      (r) =>
        `<tr data-name="${esc(r.name)}"><td>${esc(r.name)}</td><td><span class="bar"><i style="width:${Number((r.fee * 100n) / top)}%"></i></span></td><td>${zg(r.fee)}</td><td>${r.requests} req</td></tr>`,
    )
    .join("")}</table>`
}

const groupBy = (rows: ReadonlyArray<Breakdown>, name: (b: Breakdown) => string) => {
  const out = new Map<string, { name: string; fee: bigint; requests: number }>()
  for (const r of rows) {
    const k = name(r)
    const g = out.get(k) ?? { name: k, fee: 0n, requests: 0 }
    g.fee += r.fee
    g.requests += r.requests
    out.set(k, g)
  }
  return [...out.values()].sort((a, b) => (b.fee > a.fee ? 1 : b.fee < a.fee ? -1 : 0))
}

export interface DashboardData {
  readonly keys: ReadonlyArray<KeyInfo>
  readonly breakdown: ReadonlyArray<Breakdown>
  readonly recent: ReadonlyArray<LoggedRequest>
  readonly providers: ReadonlyArray<ProviderHealth>
  readonly latency: (address: string) => number | undefined
  readonly now: number
}

export const dashboardPage = (d: DashboardData) => {
  const label = new Map(d.keys.map((k) => [k.id, `${k.label} (${k.id})`]))
  const keyName = (id: string) => label.get(id) ?? id
  const series = new Map<string, Array<{ minute: number; fee: bigint }>>()
  for (const b of d.breakdown) {
    const name = keyName(b.keyId)
    series.set(name, [...(series.get(name) ?? []), { minute: b.minute, fee: b.fee }])
  }
  const total = d.breakdown.reduce((s, b) => s + b.fee, 0n)
  const requests = d.breakdown.reduce((s, b) => s + b.requests, 0)
  const levels = groupBy(d.breakdown, (b) => b.verification ?? "none")
  const budgetRow = (k: KeyInfo) => {
    const status =
      k.revokedAt !== undefined ? "revoked" : k.expiresAt !== undefined && k.expiresAt <= d.now ? "expired" : "active"
    const cap = k.budgetTotal ?? k.budgetMonth ?? k.budgetDay
    const used = k.budgetTotal !== undefined ? k.spentTotal : k.budgetMonth !== undefined ? k.spentMonth : k.spentDay
    const pct = cap === undefined || cap === 0n ? 0 : Number(((used + k.reserved) * 100n) / cap)
    return `<tr data-key="${esc(k.id)}"><td>${esc(k.label)}</td><td>${esc(k.id)}</td><td>${status}</td><td>${zg(k.spentTotal)}</td>
<td>${cap === undefined ? "no budget" : `<span class="bar"><i style="width:${Math.min(pct, 100)}%"></i></span> ${pct}%`}</td>
<td data-testid="remaining">${k.remaining === undefined ? "—" : zg(k.remaining)}</td><td>${k.lastUsedAt === undefined ? "never" : new Date(k.lastUsedAt).toISOString()}</td></tr>`
  }
  const requestRow = (r: LoggedRequest) =>
    `<tr><td>${new Date(r.at).toISOString()}</td><td>${esc(keyName(r.keyId))}</td><td>${esc(r.model)}</td><td>${esc(short(r.provider))}</td>
<td class="lvl-${esc(r.verification ?? "none")}">${esc(r.verification ?? r.verdict)}</td><td>${r.status}</td><td>${r.promptTokens}+${r.completionTokens}</td><td>${zg(r.fee)}</td><td>${r.latencyMs} ms</td></tr>`
  const providerRow = (p: ProviderHealth) => {
    const lat = d.latency(p.address)
    return `<tr data-provider="${esc(p.address)}"><td>${esc(p.address)}</td><td>${p.downUntil > d.now ? "cooling down" : "healthy"}</td>
<td>${lat === undefined ? "—" : `${Math.round(lat)} ms`}</td><td>${esc(p.models.join(", "))}</td><td>${esc(p.lastError ?? "")}</td></tr>`
  }
  return page(
    "0G router",
    `<h1>0G router</h1>
<p data-testid="summary">Last 24 h: <b>${requests}</b> requests, <b>${zg(total)}</b> spent, ${levels
      .map((l) => `${l.requests} ${esc(l.name)}`)
      .join(", ")}.</p>
<h2>Spend over time, per key</h2>${lineChart("spend-chart", series)}
<div class="grid"><div class="card"><h2>Per key</h2>${bars(
      "by-key",
      groupBy(d.breakdown, (b) => keyName(b.keyId)),
    )}</div>
<div class="card"><h2>Per model</h2>${bars(
      "by-model",
      groupBy(d.breakdown, (b) => b.model),
    )}</div>
<div class="card"><h2>Per provider</h2>${bars(
      "by-provider",
      groupBy(d.breakdown, (b) => b.provider),
    )}</div></div>
<h2>Budgets</h2><table data-testid="budgets"><tr><th>Label</th><th>Key</th><th>Status</th><th>Spent</th><th>Budget used</th><th>Remaining</th><th>Last used</th></tr>${d.keys.map(budgetRow).join("")}</table>
<h2>Providers</h2><table data-testid="providers"><tr><th>Provider</th><th>Health</th><th>Latency</th><th>Models</th><th>Last error</th></tr>${d.providers.map(providerRow).join("")}</table>
<h2>Recent requests</h2><table data-testid="recent"><tr><th>Time</th><th>Key</th><th>Model</th><th>Provider</th><th>Verification</th><th>Status</th><th>Tokens</th><th>Fee</th><th>Latency</th></tr>${d.recent.map(requestRow).join("")}</table>`,
  )
}
