/** Closed-loop load for the throughput benches: `c` requests in flight until `n` are done; req/s and latency quantiles. */

export const quantile = (xs: ReadonlyArray<number>, p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0

export const load = async (n: number, c: number, one: (i: number) => Promise<void>) => {
  const latencies: number[] = []
  let next = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: c }, async () => {
      for (let i = next++; i < n; i = next++) {
        const t = performance.now()
        await one(i)
        latencies.push(performance.now() - t)
      }
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  return { reqPerSec: n / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) }
}
