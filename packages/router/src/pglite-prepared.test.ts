/**
 * The PGlite driver's prepared-statement path against a real (in-memory) PGlite: rows decode exactly as PGlite's own
 * `query()` decodes them, a statement that fails leaves the connection usable and is not remembered as prepared, and
 * parameters without a text form fall back to `query()`.
 */
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Database, type Driver } from "./db.js"

let db: Driver
const scope = Scope.makeUnsafe()

beforeAll(async () => {
  const ctx = await Effect.runPromise(Layer.buildWithScope(Database.layer({}), scope))
  db = Context.get(ctx, Database)
  await db.query(
    "CREATE TABLE t (id TEXT PRIMARY KEY, n NUMERIC(78,0) NOT NULL, at BIGINT, c INTEGER, ok BOOLEAN, note TEXT)",
  )
})
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

describe("PGlite prepared statements", () => {
  it("round-trips every parameter kind the router sends, and decodes rows by type", async () => {
    const insert = "INSERT INTO t (id, n, at, c, ok, note) VALUES ($1, $2::numeric, $3, $4, $5, $6) RETURNING id"
    const big = (10n ** 70n + 7n).toString()
    expect(await db.query(insert, ["a", big, 1_700_000_000_123, 42, true, null])).toEqual([{ id: "a" }])
    // The second call runs the named statement (no parse): same behaviour.
    expect(await db.query(insert, ["b", 5n, 1, 0, false, 'it\'s "quoted" ü'])).toEqual([{ id: "b" }])
    const rows = await db.query(
      "SELECT id, n::text AS n, at, c, ok, note FROM t WHERE id = ANY(ARRAY[$1, $2]) ORDER BY id",
      ["a", "b"],
    )
    expect(rows).toEqual([
      { id: "a", n: big, at: 1_700_000_000_123, c: 42, ok: true, note: null },
      { id: "b", n: "5", at: 1, c: 0, ok: false, note: 'it\'s "quoted" ü' },
    ])
    // No rows, and a statement without a result description.
    expect(await db.query("SELECT id FROM t WHERE id = $1", ["none"])).toEqual([])
    expect(await db.query("UPDATE t SET c = c + 1 WHERE id = $1", ["a"])).toEqual([])
  })

  it("a failing statement rejects, is not kept as prepared, and the connection stays usable", async () => {
    const dup = "INSERT INTO t (id, n) VALUES ($1, 0)"
    await db.query(dup, ["dup"])
    await expect(db.query(dup, ["dup"])).rejects.toThrow(/duplicate key/)
    await expect(db.query("SELEKT $1", ["x"])).rejects.toThrow(/syntax error/)
    await expect(db.query("SELEKT $1", ["x"])).rejects.toThrow(/syntax error/)
    expect(await db.query("SELECT count(*)::int AS n FROM t WHERE id = $1", ["dup"])).toEqual([{ n: 1 }])
    // A transaction still works between prepared statements.
    await db.transaction(async (tx) => {
      await tx.query("UPDATE t SET c = 9 WHERE id = $1", ["dup"])
    })
    expect(await db.query("SELECT c FROM t WHERE id = $1", ["dup"])).toEqual([{ c: 9 }])
  })

  it("parameters without a text form (an array) take PGlite's query()", async () => {
    const rows = await db.query("SELECT id FROM t WHERE id = ANY($1::text[]) ORDER BY id", [["a", "b"]])
    expect(rows).toEqual([{ id: "a" }, { id: "b" }])
  })
})
