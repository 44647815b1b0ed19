/** Chain side of the storage devnet: deploy DevnetMarket + DevnetFlow, and read `Submit` logs into tx records. */
import { readFileSync } from "node:fs"
import { minedReceipt } from "@0g-compute/contracts/node"
import { ContractFactory, Interface, type JsonRpcProvider, type Signer, type TransactionResponse } from "ethers"

interface Artifact {
  readonly abi: ReadonlyArray<unknown>
  readonly bytecode: string
  readonly sourceHash: string
}

export const loadStorageArtifact = (name: "DevnetFlow" | "DevnetMarket"): Artifact =>
  JSON.parse(readFileSync(new URL(`../../artifacts/${name}.json`, import.meta.url), "utf8")) as Artifact

export const flowInterface = new Interface(loadStorageArtifact("DevnetFlow").abi as never)
export const SUBMIT_TOPIC = flowInterface.getEvent("Submit")?.topicHash as string

export interface DeployedStorageContracts {
  readonly flow: string
  readonly market: string
}

export const deployStorageContracts = async (
  signer: Signer,
  pricePerSector: bigint,
): Promise<DeployedStorageContracts> => {
  const m = loadStorageArtifact("DevnetMarket")
  const market = await new ContractFactory(m.abi as never, m.bytecode, signer).deploy(pricePerSector)
  await minedReceipt(market.deploymentTransaction() as TransactionResponse, "DevnetMarket deployment")
  const f = loadStorageArtifact("DevnetFlow")
  const flow = await new ContractFactory(f.abi as never, f.bytecode, signer).deploy(await market.getAddress())
  await minedReceipt(flow.deploymentTransaction() as TransactionResponse, "DevnetFlow deployment")
  return { flow: await flow.getAddress(), market: await market.getAddress() }
}

/** One submission as a node sees it. */
export interface SubmittedTx {
  readonly seq: number
  readonly size: number
  readonly startEntryIndex: number
  /** Flow submission nodes: `[height, root]`, tallest first. */
  readonly nodes: ReadonlyArray<readonly [number, string]>
  readonly blockNumber: number
}

/**
 * Follows the Flow's `Submit` logs. `sync()` is coalesced (one eth_getLogs in flight) and cheap to call on every
 * request, which is how the emulated nodes stay lazily up to date.
 */
export class SubmitLog {
  private syncedTo = -1
  private running: Promise<void> | undefined
  readonly txs: SubmittedTx[] = []
  lastBlock = 0

  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly flow: string,
    private readonly onTx: (tx: SubmittedTx) => void,
  ) {}

  /** Resolves once a sync that started after this call has finished (so it sees every tx mined before the call). */
  sync(): Promise<void> {
    if (this.running) {
      this.queued ??= this.running.then(() => {
        this.queued = undefined
        return this.sync()
      })
      return this.queued
    }
    this.running = this.doSync().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  private queued: Promise<void> | undefined

  private async doSync(): Promise<void> {
    const head = await this.provider.getBlockNumber()
    this.lastBlock = head
    if (head <= this.syncedTo) return
    const logs = await this.provider.getLogs({
      address: this.flow,
      topics: [SUBMIT_TOPIC],
      fromBlock: this.syncedTo + 1,
      toBlock: head,
    })
    for (const log of logs) {
      const parsed = flowInterface.parseLog(log)
      if (!parsed) continue
      // A decoded struct is an Array subclass: `.length` would be the field count, so read by position.
      const submission = parsed.args[5] as unknown as readonly [
        bigint,
        string,
        ReadonlyArray<readonly [string, bigint]>,
      ]
      const tx: SubmittedTx = {
        seq: Number(parsed.args[2] as bigint),
        startEntryIndex: Number(parsed.args[3] as bigint),
        size: Number(submission[0]),
        nodes: submission[2].map((n) => [Number(n[1]), n[0].toLowerCase()] as const),
        blockNumber: log.blockNumber,
      }
      this.txs.push(tx)
      this.onTx(tx)
    }
    this.syncedTo = head
  }
}
