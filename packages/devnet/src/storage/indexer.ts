/** An emulated storage indexer: node discovery and file locations over the emulated nodes. */
import type { SubmitLog } from "./chain.js"
import { invalidParams, type RpcServer, startRpcServer } from "./jsonrpc-server.js"
import type { EmulatedStorageNode } from "./node.js"

export const startIndexer = (
  nodes: ReadonlyArray<EmulatedStorageNode>,
  log: SubmitLog,
  holds: (node: EmulatedStorageNode, root: string) => boolean,
): Promise<RpcServer> => {
  const since = Math.floor(Date.now() / 1000)
  const sharded = (n: EmulatedStorageNode) => ({ url: n.url, config: n.shard, latency: 0, since })
  return startRpcServer(async (method, p) => {
    switch (method) {
      case "indexer_getShardedNodes":
        return { trusted: nodes.map(sharded), discovered: [] }
      case "indexer_getFileLocations": {
        const root = p[0]
        if (typeof root !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(root)) throw invalidParams("root", "invalid root")
        await log.sync()
        return nodes.filter((n) => holds(n, root.toLowerCase())).map(sharded)
      }
      case "indexer_getNodeLocations":
        return {}
      case "indexer_getSelectedNodes": {
        const dropped = Array.isArray(p[3]) ? new Set(p[3]) : new Set()
        return nodes.filter((n) => !dropped.has(n.url)).map(sharded)
      }
      default:
        throw invalidParams("method", `unknown method ${method}`)
    }
  })
}
