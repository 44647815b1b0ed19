/**
 * Scale on the embedded database (issue 14 item 6, the PGlite half): one router instance in this process on PGlite,
 * the devnet's two emulated providers, 300 chats from 20 virtual keys with budgets (half of them bind), funding on.
 * The two-instance half on a Postgres server, with a kill -9, is scale.postgres.test.ts.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RouterHandle, startRouter } from "./router.js"
import {
  ADMIN,
  createKeys,
  funding,
  GWEI,
  POLICY,
  runLoad,
  type ScaleDevnet,
  startScaleDevnet,
} from "./testing/scale.js"
import { expectFeesAddUp, expectLoggedOnce, expectWithinBudgets, requestLog } from "./testing/scale-checks.js"
import { until } from "./testing/until.js"

let net: ScaleDevnet
let router: RouterHandle
let dataDir: string

beforeAll(async () => {
  net = await startScaleDevnet()
  dataDir = mkdtempSync(join(tmpdir(), "zg-router-scale-"))
  const [p0, p1] = net.providers
  router = await startRouter({
    client: net.client,
    providers: [p0.providerAddress, p1.providerAddress],
    dataDir,
    adminToken: ADMIN,
    funding: { intervalMs: 250, policy: POLICY },
  })
})

afterAll(async () => {
  await router?.stop()
  await net?.stop()
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
})

describe("router scale on PGlite (one instance)", () => {
  it("300 chats from 20 keys: no budget overshot, every answer logged once, fees match the chain, funding tops up", async () => {
    await until(async () => (await funding(router.url)).holder === router.instanceId, "the instance holds funding")
    const totalBefore = await net.ledgerTotal()
    const keys = await createKeys(router.url, 20, 10, 500n * GWEI)
    const outcomes = await runLoad({
      n: 300,
      concurrency: 20,
      keys,
      urls: () => [router.url],
      onDone: async (done) => {
        if (done === 150) await net.settleAll()
      },
    })

    expect(new Set(outcomes.map((o) => o.status))).toEqual(new Set([200, 402]))
    await expectWithinBudgets(router.url, keys, outcomes)
    const log = await requestLog(router.url)
    expectLoggedOnce(outcomes, log)
    for (const row of log) expect(row.status).toBe(200) // nothing failed, nothing was reconciled
    await expectFeesAddUp(net, log, totalBefore)

    // The balance fell below unsettled + reserve + headroom / 2 on the provider that took the traffic: topped up.
    await until(async () => (await funding(router.url)).data.some((e) => e.action === "TopUp"), "a top-up is recorded")
    const report = await funding(router.url)
    expect(report).toMatchObject({ instance_id: router.instanceId, holding: true, enabled: true, interval_ms: 250 })
    const topUps = report.data.filter((e) => e.action === "TopUp")
    for (const t of topUps) {
      expect(t.instance_id).toBe(router.instanceId)
      expect(t.provider?.toLowerCase()).toBe(net.providers[0].providerAddress.toLowerCase())
      // The transfer is on chain: a mined, successful transaction.
      const receipt = await net.rpc.getTransactionReceipt(t.tx_hash ?? "")
      expect(receipt?.status).toBe(1)
    }
    expect(report.data.filter((e) => e.action === "Failed")).toEqual([])
  }, 300_000)

  it("a provider claiming more unsettled fees than the router can account for gets nothing, logged once", async () => {
    const p1 = net.providers[1]
    const before = (await net.client.fundingStatus(p1.providerAddress)).balance
    p1.faults.set({ inflateUnsettledFee: 5n * 10n ** 18n }) // beyond the policy's 1 0G margin
    try {
      const disputed = async () =>
        (await funding(router.url)).data.filter(
          (e) => e.action === "Failed" && e.provider?.toLowerCase() === p1.providerAddress.toLowerCase(),
        )
      await until(async () => (await disputed()).length > 0, "the dispute is logged")
      const at = (await funding(router.url)).checks
      await until(async () => (await funding(router.url)).checks >= at + 3, "three more checks")
      const failed = await disputed()
      expect(failed).toHaveLength(1) // the same condition is logged when it starts, not on every check
      expect(failed[0]?.detail).toMatch(/^UnsettledFeeDisputed: /)
      expect((await net.client.fundingStatus(p1.providerAddress)).balance).toBe(before)
    } finally {
      p1.faults.clear()
    }
  }, 300_000)
})
