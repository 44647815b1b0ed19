/**
 * The Promise face of the router's state without a server: keys and the request log over a data directory or a
 * database URL (what `0g-compute router keys …` uses). Migrates on open.
 */
import { makeFacadeRuntime } from "@0g-compute/core"
import type { DatabaseOptions } from "./db.js"
import { type CreatedKey, type CreateKeyOptions, type KeyInfo, Keys } from "./keys.js"
import { migrate } from "./migrations.js"
import { routerStoreLayer } from "./router.js"
import { type LoggedRequest, Spend } from "./spend.js"

export interface RouterStore {
  createKey(options: CreateKeyOptions): Promise<CreatedKey>
  listKeys(): Promise<ReadonlyArray<KeyInfo>>
  getKey(id: string): Promise<KeyInfo>
  revokeKey(id: string): Promise<KeyInfo>
  recentRequests(options?: { readonly keyId?: string; readonly limit?: number }): Promise<ReadonlyArray<LoggedRequest>>
  /** Σ fee logged, Σ spent over keys, Σ reserved now. */
  totals(): Promise<{ readonly logged: bigint; readonly spent: bigint; readonly reserved: bigint }>
  close(): Promise<void>
}

export const openRouterStore = async (options: DatabaseOptions): Promise<RouterStore> => {
  const runtime = makeFacadeRuntime(routerStoreLayer(options))
  try {
    await runtime.run(migrate())
  } catch (e) {
    await runtime.dispose()
    throw e
  }
  const run = runtime.run
  return {
    createKey: (o) => run(Keys.use((k) => k.create(o))),
    listKeys: () => run(Keys.use((k) => k.list())),
    getKey: (id) => run(Keys.use((k) => k.get(id))),
    revokeKey: (id) => run(Keys.use((k) => k.revoke(id))),
    recentRequests: (o) => run(Spend.use((s) => s.recent(o))),
    totals: () => run(Spend.use((s) => s.totals())),
    close: () => runtime.dispose(),
  }
}

/** Runs `f` against a store and closes it. */
export const withRouterStore = async <A>(options: DatabaseOptions, f: (s: RouterStore) => Promise<A>): Promise<A> => {
  const store = await openRouterStore(options)
  try {
    return await f(store)
  } finally {
    await store.close()
  }
}
