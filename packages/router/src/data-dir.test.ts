/**
 * One process at a time on a PGlite data directory: a second open while it is held (by this process or another live
 * one) fails with a typed DatabaseFailed instead of opening a second PGlite whose writes would overwrite the first's;
 * a claim left by a process that is gone is taken over, and a clean close hands the directory on.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Keys } from "./keys.js"
import { migrate } from "./migrations.js"
import { routerStoreLayer } from "./router.js"

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "zg-router-claim-"))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const open = () => Layer.build(routerStoreLayer({ dataDir: dir }))
const lock = () => join(dir, "router.lock")

describe("PGlite data directory claim", () => {
  it("refuses a second open while the directory is held, and hands it on after a clean close", async () => {
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const first = yield* open()
          yield* Effect.provide(migrate(), first)
          const second = yield* Effect.flip(Effect.scoped(open()))
          expect(second).toMatchObject({ _tag: "DatabaseFailed", operation: "open PGlite" })
          expect(second.message).toContain(`in use by process ${process.pid}`)
          // The first is untouched by the refused open.
          yield* Effect.provide(
            Keys.use((k) => k.create({ label: "kept" })),
            first,
          )
        }),
      ),
    )
    expect(existsSync(lock())).toBe(false)
    const labels = await Effect.runPromise(
      Effect.scoped(
        Effect.provide(
          Keys.use((k) => k.list()),
          routerStoreLayer({ dataDir: dir }),
        ),
      ),
    )
    expect(labels.map((k) => k.label)).toEqual(["kept"])
  })

  it("refuses a directory another live process holds; takes over one whose process is gone", async () => {
    writeFileSync(lock(), `${process.ppid}\n`) // a live process that is not this one
    const refused = await Effect.runPromise(Effect.flip(Effect.scoped(open())))
    expect(refused.message).toContain(`in use by process ${process.ppid}`)
    const gone = spawnSync(process.execPath, ["-e", ""]).pid
    writeFileSync(lock(), `${gone}\n`)
    await Effect.runPromise(Effect.scoped(open()))
    expect(existsSync(lock())).toBe(false)
  })
})
