/** The gateway router's candidate order, and LoRA adapter names (in no catalogue) routed to every provider. */
import { describe, expect, it } from "vitest"
import { Router } from "./router.js"

const p = (address: string, priority: number, models: string[]) => ({
  address,
  priority,
  models: new Set(models),
  defaultModel: models[0] ?? "",
})

describe("Router.candidates", () => {
  const router = new Router([p("0xB", 2, ["m1", "m2"]), p("0xA", 1, ["m1"])], 1_000)

  it("orders the providers serving a model by priority, and drops those that do not serve it", () => {
    expect(router.candidates("m1", 0).map((c) => c.address)).toEqual(["0xA", "0xB"])
    expect(router.candidates("m2", 0).map((c) => c.address)).toEqual(["0xB"])
    expect(router.candidates("unknown", 0)).toEqual([])
  })

  it("routes an adapter name (ft-…) to every provider, healthy first", () => {
    router.markDown("0xA", 0, "boom")
    expect(router.candidates("ft-devnet-echo-1-3f2c9a1e-7b4", 10).map((c) => c.address)).toEqual(["0xB", "0xA"])
    // A listed ft- model keeps the normal filter.
    const listed = new Router([p("0xC", 1, ["ft-x"]), p("0xD", 1, ["m"])], 1_000)
    expect(listed.candidates("ft-x", 0).map((c) => c.address)).toEqual(["0xC"])
  })
})
