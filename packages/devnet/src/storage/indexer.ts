/**
 * An emulated storage indexer: node discovery and file locations over the emulated nodes, plus hostile modes. In
 * `reportFlow` mode it plays the audit's proxy indexer: it lists itself (`/node/<i>`) as the nodes, forwards their
 * calls to the real nodes and rewrites the Flow address in `zgs_getStatus`.
 */
import type { SubmitLog } from "./chain.js"
import {
  type HostileSwitches,
  hostileSwitches,
  invalidParams,
  RpcFailure,
  type RpcServer,
  startRpcServer,
} from "./jsonrpc-server.js"
import type { EmulatedStorageNode } from "./node.js"

export interface StorageIndexerFaults extends HostileSwitches {
  /** List proxies of the nodes that report this Flow address (undefined: list the real nodes). */
  reportFlow(address: string | undefined): void
  reset(): void
}

export interface EmulatedIndexer extends RpcServer {
  readonly faults: StorageIndexerFaults
}

const PROXY_PATH = /^\/node\/(\d+)$/

export const startIndexer = async (
  nodes: ReadonlyArray<EmulatedStorageNode>,
  log: SubmitLog,
  holds: (node: EmulatedStorageNode, root: string) => boolean,
): Promise<EmulatedIndexer> => {
  const since = Math.floor(Date.now() / 1000)
  let fakeFlow: string | undefined
  const hostile = hostileSwitches()
  let self = ""
  const sharded = (n: EmulatedStorageNode) => ({
    url: fakeFlow === undefined ? n.url : `${self}/node/${nodes.indexOf(n)}`,
    config: n.shard,
    latency: 0,
    since,
  })

  const forward = async (node: EmulatedStorageNode, method: string, params: ReadonlyArray<unknown>) => {
    const res = await fetch(node.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", method, params, id: 1 }),
    })
    if (!res.ok) throw new RpcFailure(-32603, "Internal error", `upstream HTTP ${res.status}`)
    const reply = (await res.json()) as {
      result?: unknown
      error?: { code: number; message: string; data?: string }
    }
    if (reply.error) throw new RpcFailure(reply.error.code, reply.error.message, reply.error.data)
    if (method === "zgs_getStatus" && fakeFlow !== undefined) {
      const status = reply.result as { networkIdentity: Record<string, unknown> }
      return { ...status, networkIdentity: { ...status.networkIdentity, flowAddress: fakeFlow } }
    }
    return reply.result
  }

  const server = await startRpcServer(async (method, p, path) => {
    const proxied = PROXY_PATH.exec(path)
    if (proxied) {
      const node = nodes[Number(proxied[1])]
      if (!node) throw invalidParams("node", "no such node")
      return forward(node, method, p)
    }
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
  }, hostile.reply)
  self = server.url
  return {
    ...server,
    faults: {
      ...hostile.switches,
      reportFlow: (address) => {
        fakeFlow = address
      },
      reset: () => {
        fakeFlow = undefined
        hostile.reset()
      },
    },
  }
}
