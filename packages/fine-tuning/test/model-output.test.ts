/**
 * The model download never replaces a file silently: an existing output is OutputExists before anything is fetched
 * (a provider's file, kept as evidence when it fails verification, would otherwise stand where the user's file was),
 * and only `overwrite: true` replaces it.
 */
import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { failure, PROVIDER, type User, useHarness } from "../src/testing/harness.js"

describe("model download output", () => {
  const h = useHarness()
  let user: User
  let taskId = ""
  const PRECIOUS = "the user's own file, not a model"

  beforeAll(async () => {
    ;({ user, taskId } = await h.userWithTask("out.jsonl", { delivered: true }))
  })

  it("acknowledgeModel onto an existing file: OutputExists, the file intact, nothing acknowledged", async () => {
    const path = join(h.dir, "mine.enc")
    await writeFile(path, PRECIOUS)
    const before = await h.files()
    const e = await failure(user.client.acknowledgeModel(PROVIDER, taskId, { output: path }))
    expect(e).toMatchObject({ _tag: "OutputExists", path })
    expect(await readFile(path, "utf8")).toBe(PRECIOUS)
    expect(await h.files()).toEqual(before)
    expect((await user.client.getDeliverable(PROVIDER, taskId)).acknowledged).toBe(false)
  })

  it("downloadModel onto an existing file: OutputExists, the file intact", async () => {
    const path = join(h.dir, "mine-too.enc")
    await writeFile(path, PRECIOUS)
    expect(await failure(user.client.downloadModel(PROVIDER, taskId, path))).toMatchObject({
      _tag: "OutputExists",
      path,
    })
    expect(await readFile(path, "utf8")).toBe(PRECIOUS)
  })

  it("overwrite: true replaces it with the verified model and acknowledges", async () => {
    const path = join(h.dir, "mine.enc")
    const r = await user.client.acknowledgeModel(PROVIDER, taskId, { output: path, overwrite: true })
    expect(r.matchedBy).toBe("keccak")
    expect((await readFile(path)).length).toBeGreaterThan(77)
    expect((await user.client.getDeliverable(PROVIDER, taskId)).acknowledged).toBe(true)
  })
})
