/**
 * Measurement pins and the devnet rule: what a user expects the provider to run (a compose hash, an image digest), and
 * the refusals no opt-in can waive — a pinned measurement that differs, and a devnet quote outside the local devnet
 * chain (a provider on a real network serving `"devnet": true` is lying about what it runs).
 */
import { Data } from "effect"
import type { ParsedQuote } from "./quote.js"

/** The only chain id on which a devnet (emulated) quote is acceptable: the local anvil devnet. */
export const DEVNET_CHAIN_ID = 31337n

export interface MeasurementPins {
  /** Expected compose hash: sha256 of `tcb_info.app_compose` as hex (optionally `0x` / `sha256:` prefixed). */
  readonly expectComposeHash?: string
  /**
   * Expected image: a digest (`sha256:<hex>`) that an image reference of the attested compose must carry
   * (`name@sha256:<hex>`), or a full image reference the compose must name exactly.
   */
  readonly expectImage?: string
}

/** A refusal no opt-in (`allowDevnet`, `allowUnverified`) can waive. */
export class AttestationRefused extends Data.TaggedError("AttestationRefused")<{
  readonly provider: string
  readonly reason: "devnet-quote-off-devnet" | "compose-hash-mismatch" | "image-mismatch"
  readonly detail: string
}> {
  override get message() {
    return `Provider ${this.provider} refused: ${this.detail}`
  }
}

const normalizeHash = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/^(0x|sha256:)/, "")

/** Image references named by a dstack app_compose (its docker_compose_file YAML) or a JSON compose (`image` keys). */
export const composeImages = (appCompose: string): ReadonlyArray<string> => {
  const out = new Set<string>()
  // Line by line with string operations: a pattern like /^\s*-?\s*image:/m backtracks across blank lines (its
  // cost grows with their cube), and the compose comes from the provider.
  const fromYaml = (yaml: string) => {
    for (const raw of yaml.split("\n")) {
      let line = raw.trimStart()
      if (line.startsWith("-")) line = line.slice(1).trimStart()
      if (!line.startsWith("image:")) continue
      const m = /^["']?([^"'\s#]+)/.exec(line.slice("image:".length).trimStart())
      if (m?.[1]) out.add(m[1])
    }
  }
  const walk = (u: unknown, depth: number): void => {
    if (depth > 16 || typeof u !== "object" || u === null) return
    for (const [k, v] of Object.entries(u)) {
      if (k === "image" && typeof v === "string") out.add(v)
      else if (k === "docker_compose_file" && typeof v === "string") fromYaml(v)
      else walk(v, depth + 1)
    }
  }
  try {
    walk(JSON.parse(appCompose), 0)
  } catch {
    fromYaml(appCompose)
  }
  return [...out]
}

export type PinStatus = "pass" | "fail" | "unpinned"

/** The compose pin against a compose hash the quote proved (undefined when the compose check did not pass). */
export const checkComposePin = (
  expected: string | undefined,
  proven: string | undefined,
): { readonly status: PinStatus; readonly detail: string } => {
  if (expected === undefined || expected.trim() === "") return { status: "unpinned", detail: "no compose hash pinned" }
  const want = normalizeHash(expected)
  if (proven === undefined) return { status: "fail", detail: `pinned ${want}, but the quote proves no compose hash` }
  return proven === want
    ? { status: "pass", detail: `compose hash ${proven} is the pinned one` }
    : { status: "fail", detail: `compose hash ${proven}, pinned ${want}` }
}

/** The image pin against the images of a compose the quote proved (undefined when the compose check did not pass). */
export const checkImagePin = (
  expected: string | undefined,
  q: Pick<ParsedQuote, "appCompose">,
  composeProven: boolean,
): { readonly status: PinStatus; readonly detail: string } => {
  if (expected === undefined || expected.trim() === "") return { status: "unpinned", detail: "no image pinned" }
  const want = expected.trim()
  if (!composeProven || q.appCompose === undefined)
    return { status: "fail", detail: `pinned ${want}, but the quote proves no compose to find it in` }
  const images = composeImages(q.appCompose)
  const digest = /^(sha256:)?[0-9a-fA-F]{64}$/.test(want) ? `sha256:${normalizeHash(want)}` : undefined
  const hit = images.find((i) =>
    digest === undefined ? i === want : i.toLowerCase().endsWith(`@${digest}`) || i.toLowerCase() === digest,
  )
  if (hit !== undefined) return { status: "pass", detail: `the attested compose runs ${hit}` }
  return {
    status: "fail",
    detail: `the attested compose runs ${images.length === 0 ? "no image" : images.join(", ")}, pinned ${want}`,
  }
}

/** Whether a devnet quote is acceptable on this chain. */
export const devnetChainAllowed = (chainId: bigint | undefined) => chainId === DEVNET_CHAIN_ID
