/**
 * `listServicesWithDetail` against the devnet's status API over HTTP: health measured by probing the providers and
 * the model catalogue with prices; without a status API, unreachable or answering garbage, the list still comes and
 * says why detail is unavailable.
 */
import { createServer } from "node:http"
import type { InferenceProvider } from "@0g-compute/devnet"
import { describe, expect, it } from "vitest"
import { CATALOGUE_MAX_BYTES } from "./http.js"
import { statusApiFor } from "./status-api.js"
import { useTestDevnet } from "./testing/fixture.js"

const t = useTestDevnet({ inferenceProviders: 2 })

describe("services with detail", () => {
  it("the live networks' status APIs by chain id; none for a devnet", () => {
    expect(statusApiFor(16661n)).toBe("https://compute-status.0g.ai")
    expect(statusApiFor(16602n)).toBe("https://compute-status-testnet.0g.ai")
    expect(statusApiFor(t.devnet.chainId)).toBeUndefined()
  })

  it("joins health and the model catalogue onto every service", async () => {
    const statusApi = t.devnet.statusApiUrl ?? ""
    const detail = await t.user.client.listServicesWithDetail({ statusApi })
    expect(detail.detailUnavailable).toBeUndefined()
    expect(detail.services).toHaveLength(2)
    const mine = detail.services.find((s) => s.service.provider === t.provider.providerAddress)
    expect(mine?.health).toMatchObject({ status: "healthy", uptime: 100 })
    expect(mine?.health?.checks).toBeGreaterThan(0)
    expect(mine?.models).toEqual([
      expect.objectContaining({
        id: t.provider.model,
        pricing: expect.objectContaining({ prompt: t.provider.inputPrice.toString() }),
      }),
    ])
  })

  it("a provider that stops answering turns critical, the others stay healthy", async () => {
    const statusApi = t.devnet.statusApiUrl ?? ""
    const down = t.devnet.inference[1] as InferenceProvider
    await down.stop()
    // Enough failed probes to pull its uptime under 80% (each request probes once).
    for (let i = 0; i < 4; i++) await fetch(`${statusApi}/health`).then((r) => r.arrayBuffer())
    const detail = await t.user.client.listServicesWithDetail({ statusApi })
    const byProvider = new Map(detail.services.map((s) => [s.service.provider, s.health?.status]))
    expect(byProvider.get(down.providerAddress)).toBe("critical")
    expect(byProvider.get(t.provider.providerAddress)).toBe("healthy")
  })

  it("without a status API, unreachable or answering garbage, the list still works and says why", async () => {
    const none = await t.user.client.listServicesWithDetail()
    expect(none.services.length).toBeGreaterThan(0)
    expect(none.services.every((s) => s.health === undefined && s.models === undefined)).toBe(true)
    expect(none.detailUnavailable).toBe("this network has no status API")

    const closed = await t.user.client.listServicesWithDetail({ statusApi: "http://127.0.0.1:9" })
    expect(closed.services.length).toBe(none.services.length)
    expect(closed.detailUnavailable).toMatch(/127\.0\.0\.1:9\/health/)

    // The provider itself is no status API: /health is a 404 there.
    const wrong = await t.user.client.listServicesWithDetail({ statusApi: t.provider.url })
    expect(wrong.detailUnavailable).toMatch(/HTTP 404|unknown shape/)
    expect(wrong.services.every((s) => s.health === undefined)).toBe(true)
  })

  it("hostile: a status API sending more than the catalogue ceiling is cut off; a large real one is read", async () => {
    const services = (n: number) => ({
      services: [
        {
          provider: t.provider.providerAddress,
          status: "healthy",
          checks: { total: 1, successful: 1, failed: 0, uptime: 100 },
          note: "x".repeat(n),
        },
      ],
    })
    let size = 200_000 // well under the catalogue ceiling
    const server = createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify(req.url === "/health" ? services(size) : { data: [] }))
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
    const address = server.address()
    const statusApi = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`
    try {
      const large = await t.user.client.listServicesWithDetail({ statusApi })
      expect(large.detailUnavailable).toBeUndefined()
      expect(large.services.find((s) => s.service.provider === t.provider.providerAddress)?.health?.status).toBe(
        "healthy",
      )
      size = CATALOGUE_MAX_BYTES + 1
      const huge = await t.user.client.listServicesWithDetail({ statusApi })
      expect(huge.detailUnavailable).toMatch(new RegExp(`over the ${CATALOGUE_MAX_BYTES}-byte limit`))
      expect(huge.services.every((s) => s.health === undefined)).toBe(true)
    } finally {
      server.close()
      server.closeAllConnections()
    }
  })
})
