/**
 * One command: a devnet (anvil on 8545 + contracts + an emulated verifying provider) and the built dApp, served
 * together. Import the printed test key into a browser wallet on the devnet chain, then open the printed URL.
 */
import { startDevnet } from "@0g-compute/devnet"
import { Redacted } from "effect"
import { buildAndServe } from "./serve.js"

const port = Number(process.env.DEVNET_PORT ?? 8545)
const devnet = await startDevnet({ port })
const dapp = await buildAndServe(undefined, Number(process.env.DAPP_PORT ?? 5173))
const user = devnet.accounts.users[0]
const lines = [
  `devnet RPC     ${devnet.rpcUrl} (chain id ${devnet.chainId})`,
  `provider       ${devnet.inference[0]?.providerAddress} at ${devnet.inference[0]?.url}`,
  `wallet key     ${user === undefined ? "-" : Redacted.value(user.privateKey)}  (public devnet test key; add the chain ${devnet.rpcUrl} to your wallet)`,
  `dApp           ${dapp.url}?network=devnet&rpc=${encodeURIComponent(devnet.rpcUrl)}`,
  "Ctrl-C stops everything.",
]
process.stdout.write(`${lines.join("\n")}\n`)
const stop = async () => {
  await dapp.close()
  await devnet.stop()
  process.exit(0)
}
process.once("SIGINT", stop)
process.once("SIGTERM", stop)
