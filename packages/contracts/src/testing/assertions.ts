// The reference suites' assertions on transactions: receipts, reverts decoded by the contract's interface, events.
import type { Interface, Log, TransactionReceipt, TransactionResponse } from "ethers"
import { expect } from "vitest"
import { minedReceipt } from "../node/index.js"
import { extractRevertData } from "../revert.js"

/** Sends a contract transaction and returns its receipt (throws on revert). */
export async function mined(tx: Promise<unknown>): Promise<TransactionReceipt> {
  return minedReceipt(tx as Promise<TransactionResponse>)
}

/** Asserts that `p` reverts with the custom error `name` (decoded by `iface`) and, if given, exactly `args`. */
export async function expectRevert(
  p: Promise<unknown>,
  iface: Interface,
  name: string,
  args?: readonly unknown[],
): Promise<void> {
  let error: unknown
  try {
    await p
  } catch (e) {
    error = e
  }
  expect(error, `expected revert ${name}`).toBeDefined()
  const data = extractRevertData(error)
  expect(data, `revert data for ${name}: ${String(error)}`).toBeDefined()
  const parsed = iface.parseError(data as string)
  expect(parsed?.name, `decoded ${data}`).toBe(name)
  if (args !== undefined) expect(parsed?.args.toArray()).toEqual(args)
}

/** Asserts an OZ 4.x string revert (Error(string)). */
export async function expectStringRevert(p: Promise<unknown>, iface: Interface, message: string): Promise<void> {
  await expectRevert(p, iface, "Error", [message])
}

/** Decoded events named `name` emitted by `contract` in `receipt`, in log order. */
export function events(
  receipt: TransactionReceipt,
  contract: { interface: Interface; target: string },
  name: string,
): unknown[][] {
  return receipt.logs
    .filter((l: Log) => l.address.toLowerCase() === contract.target.toLowerCase())
    .map((l: Log) => contract.interface.parseLog(l))
    .filter((d) => d !== null && d.name === name)
    .map((d) => (d ? d.args.toArray() : []))
}
