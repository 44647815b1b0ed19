/**
 * The devnet's LoRA wiring, raw HTTP and raw chain calls: a fine-tuning task whose model the user acknowledges on
 * chain becomes an adapter (`ready`) on the emulated inference providers, as the broker's event watcher makes it;
 * the broker's routes list it and deploy it; unknown adapters are 404/409.
 */
import { fineTuningServing } from "@0g-compute/contracts"
import { FINE_TUNING_SERVICE_NAME, minedReceipt } from "@0g-compute/contracts/node"
import { makeRpcProvider } from "@0g-compute/core"
import { type NonceManager, parseEther } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Devnet, startDevnet } from "../devnet.js"
import { postTask, uploadDataset } from "../testing/fine-tuning-http.js"
import { fund, signer } from "../testing/inference.js"
import { makeAdapterName } from "./lora.js"

const PARAMS_TEXT =
  '{"neftune_noise_alpha":5,"num_train_epochs":1,"per_device_train_batch_size":2,"learning_rate":0.0002,"max_steps":-1}'
const DATASET = new TextEncoder().encode('{"text": "the quick brown fox jumps over the lazy dog"}\n')

let devnet: Devnet
let rpc: ReturnType<typeof makeRpcProvider>
let user: NonceManager
let address: string

beforeAll(async () => {
  devnet = await startDevnet({ fineTuning: { stepDelayMs: 0, settlementPollMs: 20, chunkSize: 256 } })
  rpc = makeRpcProvider(devnet.rpcUrl, devnet.chainId)
  const account = devnet.accounts.users[0]
  if (account === undefined) throw new Error("no user account")
  user = signer(account, rpc)
  address = await user.getAddress()
  const ft = devnet.fineTuning
  if (ft === undefined) throw new Error("no fine-tuning provider")
  await fund(devnet, user, ft.address, parseEther("2"), FINE_TUNING_SERVICE_NAME)
})
afterAll(async () => {
  rpc?.destroy()
  await devnet?.stop()
})

describe("LoRA adapters from acknowledged fine-tuning tasks", () => {
  it("an acknowledged task's model becomes a ready adapter the broker routes list and deploy", async () => {
    const ft = devnet.fineTuning
    const inference = devnet.inference[0]
    if (ft === undefined || inference === undefined) throw new Error("devnet without providers")
    const { datasetHash } = await (await uploadDataset(`${ft.url}/v1`, user, address, DATASET)).json()
    const { res: created } = await postTask(`${ft.url}/v1`, user, address, datasetHash, PARAMS_TEXT)
    const { id } = (await created.json()) as { id: string }
    await ft.waitForState(id, "Delivered")
    const name = makeAdapterName("mock-model", id)
    // Delivered but not acknowledged: no adapter yet.
    expect((await fetch(`${inference.url}/v1/lora/adapters/${name}`)).status).toBe(404)

    const serving = fineTuningServing(devnet.addresses.fineTuning, user)
    await minedReceipt(serving.acknowledgeDeliverable(ft.address, id))
    await ft.waitForState(id, "UserAcknowledged")
    const list = (await (await fetch(`${inference.url}/v1/lora/adapters`)).json()) as { adapters: unknown[] }
    expect(list.adapters).toEqual([
      expect.objectContaining({ adapterName: name, taskId: id, baseModel: "mock-model", state: "ready" }),
    ])
    expect((list.adapters[0] as { userAddress: string }).userAddress.toLowerCase()).toBe(address.toLowerCase())

    const deploy = await fetch(`${inference.url}/v1/lora/adapters/deploy`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ taskId: id, baseModel: "mock-model" }),
    })
    expect(deploy.status).toBe(200)
    expect(await deploy.json()).toMatchObject({ status: "deploying", adapterName: name })
    expect(["loading", "active"]).toContain(inference.lora.get(name)?.state)

    const unknown = await fetch(`${inference.url}/v1/lora/adapters/deploy`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ taskId: "nope", baseModel: "mock-model" }),
    })
    expect(unknown.status).toBe(409)
  })
})
