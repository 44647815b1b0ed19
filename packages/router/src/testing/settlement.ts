/** Test helper: a verified settlement of `reservationId` at `fee` neuron (3 prompt + 4 completion tokens). */
import type { Settlement } from "../spend.js"

export const settlement = (reservationId: string, fee: bigint): Settlement => ({
  reservationId,
  fee,
  provider: "0xp",
  model: "m",
  stream: false,
  promptTokens: 3,
  completionTokens: 4,
  verification: "bytes-bound",
  verdict: "Verified",
  latencyMs: 5,
  status: 200,
  error: undefined,
})
