/**
 * vitest hooks over `lateBound`: the workspace-only entry `@0g-compute/core/testing/hooks` (kept apart from
 * `./testing`, which stays free of any test runner).
 */
import { afterAll, beforeAll } from "vitest"
import { lateBound } from "./values.js"

/** Registers how to stop something `start` has just started; stops run last-registered first. */
export type OnStop = (stop: () => unknown) => void

/**
 * Starts what a test file (or `describe`) needs before its tests and stops it after them. `start` registers each
 * stop as soon as the thing it stops exists, so a start that fails halfway still stops what it got to; the returned
 * object reads through to what `start` returned, so tests hold one handle instead of `let`s assigned in hooks.
 */
export const useStarted = <T extends object>(start: (onStop: OnStop) => Promise<T>, timeoutMs?: number): T => {
  let started: T | undefined
  const stops: Array<() => unknown> = []
  beforeAll(async () => {
    started = await start((stop) => stops.push(stop))
  }, timeoutMs)
  afterAll(async () => {
    const failures: unknown[] = []
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop()
      } catch (e) {
        failures.push(e)
      }
    }
    if (failures.length > 0) throw failures[0]
  }, timeoutMs)
  return lateBound(() => {
    if (started === undefined) throw new Error("useStarted: read before its beforeAll has started it")
    return started
  })
}
