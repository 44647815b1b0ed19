/**
 * Persistent API keys on a devnet: ids are never handed out twice (issued ids tracked per user and provider, revoked
 * bits respected, a file store carrying them across client instances), keys work as plain OpenAI API keys, and
 * revoke / revoke-all act on chain and at the provider.
 */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Redacted } from "effect"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createInferenceClient } from "../facade.js"
import { makeFileKeyStore } from "../node/key-store.js"
import { userClient, useTestDevnet } from "../testing/fixture.js"

const t = useTestDevnet({ ledger: "10", acknowledge: { fund: "2" } })
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "zg-keys-"))
})
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

const plainClient = (key: Redacted.Redacted<string>) =>
  new OpenAI({ baseURL: `${t.provider.url}/v1/proxy`, apiKey: Redacted.value(key), maxRetries: 0 })
const hello = (client: OpenAI) =>
  client.chat.completions.create({ model: t.provider.model, messages: [{ role: "user", content: "key" }] })

describe("API keys", () => {
  it("allocates distinct ids and refuses an id already issued", async () => {
    const a = await t.user.client.apiKeys.create(t.provider.providerAddress, { label: "a" })
    const b = await t.user.client.apiKeys.create(t.provider.providerAddress)
    expect([a.tokenId, b.tokenId]).toEqual([0, 1])
    expect(Redacted.value(a.apiKey)).toMatch(/^app-sk-/)
    expect(String(a.apiKey)).not.toContain("app-sk-")
    await expect(t.user.client.apiKeys.create(t.provider.providerAddress, { tokenId: 0 })).rejects.toMatchObject({
      _tag: "ApiKeyIdUnavailable",
      tokenId: 0,
      reason: "issued",
    })
    await expect(t.user.client.apiKeys.create(t.provider.providerAddress, { tokenId: 255 })).rejects.toMatchObject({
      reason: "out-of-range",
    })
    // A key is a real provider credential: the official client works with it directly (unverified, of course).
    expect((await hello(plainClient(b.apiKey))).choices[0]?.message.content).toBe("Echo: key")
  })

  it("revokes one key on chain; its id is never reissued in this generation", async () => {
    const list0 = await t.user.client.apiKeys.list(t.provider.providerAddress)
    const one = list0.keys.find((k) => k.tokenId === 1)
    expect(one?.status).toBe("active")
    await t.user.client.apiKeys.revoke(t.provider.providerAddress, 1)
    const list1 = await t.user.client.apiKeys.list(t.provider.providerAddress)
    expect(list1.revokedIds).toEqual([1])
    expect(list1.keys.find((k) => k.tokenId === 1)?.status).toBe("revoked")
    expect(list1.keys.find((k) => k.tokenId === 0)?.status).toBe("active")
    const next = await t.user.client.apiKeys.create(t.provider.providerAddress)
    expect(next.tokenId).toBe(2)
    await expect(t.user.client.apiKeys.create(t.provider.providerAddress, { tokenId: 1 })).rejects.toMatchObject({
      reason: "revoked",
    })
  })

  it("revoke-all starts a new generation: every old key dies at the provider, ids are free again", async () => {
    const old = await t.user.client.apiKeys.create(t.provider.providerAddress)
    expect((await hello(plainClient(old.apiKey))).choices).toHaveLength(1)
    await t.user.client.apiKeys.revokeAll(t.provider.providerAddress)
    const err = await hello(plainClient(old.apiKey)).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ status: 401 })
    expect(String((err as Error).message)).toMatch(/revoked/)
    const list = await t.user.client.apiKeys.list(t.provider.providerAddress)
    expect(list.generation).toBe(1n)
    expect(list.keys.every((k) => k.status === "revoked")).toBe(true)
    const fresh = await t.user.client.apiKeys.create(t.provider.providerAddress)
    expect(fresh).toMatchObject({ tokenId: 0, generation: 1n })
    expect((await hello(plainClient(fresh.apiKey))).choices).toHaveLength(1)
  })

  it("needs a sub-account to revoke", async () => {
    const other = await userClient(t.devnet, 1)
    try {
      await expect(other.client.apiKeys.revokeAll(t.provider.providerAddress)).rejects.toMatchObject({
        _tag: "SubAccountMissing",
      })
    } finally {
      await other.close()
    }
  })
})

describe("file key store", () => {
  it("remembers issued ids across client instances, without storing any key", async () => {
    const path = join(dir, "nested", "api-keys.json")
    const connect = () =>
      createInferenceClient({
        privateKey: (t.devnet.accounts.users[0] as { privateKey: Redacted.Redacted<string> }).privateKey,
        provider: t.user.provider,
        contracts: t.devnet.addresses,
        keyStore: makeFileKeyStore(path),
      })
    const c1 = await connect()
    const k1 = await c1.apiKeys.create(t.provider.providerAddress, { label: "ci" })
    await c1.close()
    const c2 = await connect()
    try {
      const k2 = await c2.apiKeys.create(t.provider.providerAddress)
      expect(k2.tokenId).not.toBe(k1.tokenId)
      const listed = await c2.apiKeys.list(t.provider.providerAddress)
      expect(listed.keys.map((k) => k.tokenId).sort()).toEqual([k1.tokenId, k2.tokenId].sort())
      expect(listed.keys.find((k) => k.tokenId === k1.tokenId)?.label).toBe("ci")
      const text = await readFile(path, "utf8")
      expect(text).not.toContain("app-sk-")
      expect(text).not.toContain(Redacted.value(k1.apiKey).slice(7, 40))
      expect((await stat(path)).mode & 0o777).toBe(0o600)
    } finally {
      await c2.close()
    }
  })
})
