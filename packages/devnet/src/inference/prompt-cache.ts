/**
 * A deterministic prompt cache for the offline model, so cache billing can be exercised: every message but the last
 * is the cacheable prefix. A request whose leading messages were seen before (same model, same messages in the same
 * order) reports their tokens as `prompt_tokens_details.cached_tokens`; the prefix messages it adds are reported as
 * `cache_write_tokens` (OpenRouter's OpenAI-path field) and remembered.
 */
import { wordCount } from "./billing.js"

export interface CacheUsage {
  readonly cachedTokens: number
  readonly cacheWriteTokens: number
}

const MAX_PREFIXES = 10_000

export class PromptCache {
  private readonly seen = new Set<string>()

  /** Looks the prefix of `texts` (message texts in order) up, then remembers it. */
  use(model: string, roles: ReadonlyArray<string>, texts: ReadonlyArray<string>): CacheUsage {
    let key = model
    let cachedTokens = 0
    let cacheWriteTokens = 0
    let hit = true
    for (let i = 0; i < texts.length - 1; i++) {
      key += `\u0000${roles[i] ?? ""}\u0001${texts[i] ?? ""}`
      const tokens = wordCount(texts[i] ?? "")
      if (hit && this.seen.has(key)) cachedTokens += tokens
      else {
        hit = false
        cacheWriteTokens += tokens
        if (this.seen.size < MAX_PREFIXES) this.seen.add(key)
      }
    }
    return { cachedTokens, cacheWriteTokens }
  }
}
