/**
 * The gateway's router: providers ordered by priority (lower = preferred), the models each serves, and a cooldown
 * for providers that just failed. A provider in cooldown is tried only after every healthy candidate.
 */

export interface RoutedProvider {
  readonly address: string
  readonly priority: number
  /** Model ids the provider serves (its catalogue, or the on-chain default model). */
  readonly models: ReadonlySet<string>
  readonly defaultModel: string
}

export interface ProviderHealth {
  readonly address: string
  readonly priority: number
  readonly models: ReadonlyArray<string>
  /** Unix ms until which the provider is skipped in favour of healthy ones; 0 when healthy. */
  readonly downUntil: number
  readonly lastError: string | undefined
}

export class Router {
  private readonly health = new Map<string, { downUntil: number; lastError: string | undefined }>()

  constructor(
    private readonly providers: ReadonlyArray<RoutedProvider>,
    private readonly cooldownMs: number,
  ) {}

  /** Model ids across all providers. */
  models(): ReadonlyArray<{ readonly id: string; readonly providers: ReadonlyArray<string> }> {
    const out = new Map<string, string[]>()
    for (const p of this.sorted()) for (const m of p.models) out.set(m, [...(out.get(m) ?? []), p.address])
    return [...out].map(([id, providers]) => ({ id, providers }))
  }

  /**
   * Candidates for a model, in the order to try them: healthy ones by priority, then those in cooldown by how soon
   * they come back. `undefined` or "auto" means any provider (each with its default model).
   */
  candidates(model: string | undefined, now: number): ReadonlyArray<RoutedProvider> {
    const any = model === undefined || model === "" || model === "auto"
    let serving: ReadonlyArray<RoutedProvider> = this.sorted().filter((p) => any || p.models.has(model))
    // A LoRA adapter (`ft-…`) is in no catalogue: every provider is a candidate, the one holding it answers.
    if (serving.length === 0 && model !== undefined && model.startsWith("ft-")) serving = this.sorted()
    const downUntil = (p: RoutedProvider) => this.health.get(p.address.toLowerCase())?.downUntil ?? 0
    const healthy = serving.filter((p) => downUntil(p) <= now)
    const cooling = serving.filter((p) => downUntil(p) > now).sort((a, b) => downUntil(a) - downUntil(b))
    return [...healthy, ...cooling]
  }

  markDown(address: string, now: number, error: string): void {
    this.health.set(address.toLowerCase(), { downUntil: now + this.cooldownMs, lastError: error })
  }

  markUp(address: string): void {
    const h = this.health.get(address.toLowerCase())
    if (h !== undefined) this.health.set(address.toLowerCase(), { downUntil: 0, lastError: h.lastError })
  }

  status(now: number): ReadonlyArray<ProviderHealth> {
    return this.sorted().map((p) => {
      const h = this.health.get(p.address.toLowerCase())
      return {
        address: p.address,
        priority: p.priority,
        models: [...p.models],
        downUntil: h !== undefined && h.downUntil > now ? h.downUntil : 0,
        lastError: h?.lastError,
      }
    })
  }

  private sorted(): ReadonlyArray<RoutedProvider> {
    return [...this.providers].sort((a, b) => a.priority - b.priority)
  }
}
