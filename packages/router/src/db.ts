/**
 * The router's database seam: one SQL dialect (Postgres, `$1` parameters) over two drivers — embedded PGlite in a data
 * directory (the default) and a Postgres server through `postgres` (npm). Everything above speaks only `Sql`.
 *
 * Values cross the seam as the drivers give them; callers normalise (`big` for money, `num` for counts and ms), because
 * the two drivers disagree on int8 (number vs string). Money is NUMERIC(78,0) and always read back as text.
 */
import { describeCause } from "@0g-compute/core"
import { Context, Effect, Layer, Redacted } from "effect"
import { claimDataDir } from "./data-dir.js"
import { DatabaseFailed } from "./errors.js"
import { NotPreparable, type PgliteProtocol, preparedQuery } from "./pglite-prepared.js"

export type Row = Record<string, unknown>

/** One connection-like handle: a statement, or a transaction's statements. */
export interface Sql {
  readonly query: (text: string, params?: ReadonlyArray<unknown>) => Promise<ReadonlyArray<Row>>
}

export interface Driver extends Sql {
  /** Runs `f` in one transaction (committed when it resolves, rolled back when it throws). */
  readonly transaction: <A>(f: (tx: Sql) => Promise<A>) => Promise<A>
  readonly close: () => Promise<void>
  readonly kind: "pglite" | "postgres"
  /**
   * One connection held apart until `release`, for session state (advisory locks). PGlite has one connection: this is
   * it, shared.
   */
  readonly reserve: () => Promise<Sql & { readonly release: () => Promise<void> }>
}

export const big = (v: unknown): bigint => (v === null || v === undefined ? 0n : BigInt(String(v)))
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v))
export const optBig = (v: unknown): bigint | undefined =>
  v === null || v === undefined ? undefined : BigInt(String(v))

/** The part of PGlite's API used here (its own .d.ts needs Emscripten's global types, which we do not pull in). */
interface PgliteHandle {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>
  transaction<A>(
    f: (tx: { query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }> }) => Promise<A>,
  ): Promise<A>
  close(): Promise<void>
}
const PGLITE = "@electric-sql/pglite"

const pglite = async (dataDir: string | undefined): Promise<Driver> => {
  const { PGlite } = (await import(PGLITE)) as { PGlite: { create(dataDir?: string): Promise<PgliteHandle> } }
  // Before PGlite opens it: a second process on one data directory would silently lose writes (data-dir.ts).
  const release = dataDir === undefined ? () => undefined : claimDataDir(dataDir)
  let db: PgliteHandle
  try {
    db = await PGlite.create(dataDir)
  } catch (e) {
    release()
    throw e
  }
  // PGlite is one connection: transactions must not interleave with other statements, so everything is queued.
  let tail: Promise<unknown> = Promise.resolve()
  const serial = <A>(f: () => Promise<A>): Promise<A> => {
    const next = tail.then(f, f)
    tail = next.catch(() => undefined)
    return next
  }
  const prepared = preparedQuery(db as unknown as PgliteProtocol)
  const query = (text: string, params: ReadonlyArray<unknown> = []) =>
    serial(() =>
      prepared(text, params).catch(async (e: unknown) => {
        if (!(e instanceof NotPreparable)) throw e
        return (await db.query<Row>(text, [...params])).rows
      }),
    )
  return {
    kind: "pglite",
    query,
    reserve: async () => ({ query, release: async () => undefined }),
    transaction: (f) =>
      serial(() =>
        db.transaction((tx) => f({ query: async (text, p = []) => (await tx.query<Row>(text, [...p])).rows })),
      ),
    close: () => serial(() => db.close()).finally(release),
  }
}

const server = async (url: string): Promise<Driver> => {
  const { default: postgres } = await import("postgres")
  const sql = postgres(url, { max: 10, onnotice: () => undefined })
  const run =
    (s: { unsafe: typeof sql.unsafe }) =>
    async (text: string, params: ReadonlyArray<unknown> = []) =>
      // Named prepared statements per connection (the router's texts are a fixed set): parsed and planned once.
      [...(await s.unsafe(text, [...params] as never[], { prepare: params.length > 0 }))] as ReadonlyArray<Row>
  await sql.unsafe("SELECT 1")
  return {
    kind: "postgres",
    query: run(sql),
    reserve: async () => {
      // A one-connection client of its own, not sql.reserve(): a reserved connection the server closed (terminated
      // backend, restart) crashes postgres 3.4.9 on its next query (a write to its null socket); this one reconnects.
      // No max lifetime: the driver would otherwise recycle it after 30–60 min, dropping the session's locks.
      const one = postgres(url, { max: 1, max_lifetime: null, idle_timeout: 0, onnotice: () => undefined })
      return { query: run(one), release: () => one.end({ timeout: 1 }) }
    },
    transaction: async (f) => (await sql.begin((tx) => f({ query: run(tx as unknown as typeof sql) }))) as never,
    close: () => sql.end({ timeout: 5 }),
  }
}

export interface DatabaseOptions {
  /** PGlite data directory (embedded default). Omitted with no `databaseUrl`: an in-memory database. */
  readonly dataDir?: string
  /** `postgres://…`: use this Postgres server instead of PGlite. */
  readonly databaseUrl?: Redacted.Redacted<string> | string
}

export class Database extends Context.Service<Database, Driver>()("zg/router/Database") {
  /** Opens the database (closed with the scope). */
  static readonly layer = (options: DatabaseOptions) =>
    Layer.effect(
      Database,
      Effect.acquireRelease(
        Effect.tryPromise({
          try: () => {
            const url = options.databaseUrl
            return url === undefined
              ? pglite(options.dataDir)
              : server(Redacted.isRedacted(url) ? Redacted.value(url) : url)
          },
          catch: (cause) =>
            new DatabaseFailed({
              operation: options.databaseUrl === undefined ? "open PGlite" : "connect to Postgres",
              detail: describeCause(cause),
            }),
        }),
        (d) => Effect.promise(() => d.close().catch(() => undefined)),
      ),
    )
}

/** A driver call as an Effect failing with `DatabaseFailed` (the message names the operation, never parameters). */
export const attempt = <A>(operation: string, f: () => Promise<A>): Effect.Effect<A, DatabaseFailed> =>
  Effect.tryPromise({
    try: f,
    catch: (cause) => new DatabaseFailed({ operation, detail: describeCause(cause) }),
  })
