/** Node discovery: shard-covering selection for uploads, file locations for downloads (spec §5). */
import { Effect } from "effect"
import { StorageConfig } from "./config.js"
import { NodeRpcError, NoStorageNodes } from "./errors.js"
import { indexer, zgs } from "./rpc/node-api.js"
import type { StorageRpc } from "./rpc/transport.js"
import type { ShardConfig } from "./rpc/types.js"

export interface NodeRef {
  readonly url: string
  readonly config: ShardConfig
}

/** True when the node (shardId, numShard) stores global segment `globalSegment`. */
export const coversSegment = (config: ShardConfig, globalSegment: number): boolean =>
  globalSegment % config.numShard === config.shardId

/**
 * Greedy selection (fewest shards first, the upload default) until every residue class is stored `replica` times.
 * Undefined when the nodes cannot cover every class.
 */
export const selectCovering = (nodes: ReadonlyArray<NodeRef>, replica = 1): ReadonlyArray<NodeRef> | undefined => {
  if (nodes.length === 0) return undefined
  const sorted = [...nodes].sort((a, b) => a.config.numShard - b.config.numShard)
  const classes = Math.max(...sorted.map((n) => n.config.numShard))
  const counts = new Array<number>(classes).fill(0)
  const chosen: NodeRef[] = []
  for (const n of sorted) {
    const mine: number[] = []
    for (let r = n.config.shardId; r < classes; r += n.config.numShard) mine.push(r)
    if (!mine.some((r) => (counts[r] as number) < replica)) continue
    for (const r of mine) counts[r] = (counts[r] as number) + 1
    chosen.push(n)
    if (counts.every((c) => c >= replica)) return chosen
  }
  return undefined
}

/**
 * One spelling per node: scheme and host case, default ports and trailing slashes do not make another node.
 * Undefined for what is no HTTP node (`file:`, `data:`, …, or no URL at all).
 */
const nodeKey = (url: string): string | undefined => {
  try {
    const u = new URL(url)
    if (u.protocol !== "http:" && u.protocol !== "https:") return undefined
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}${u.search}`
  } catch {
    return undefined
  }
}

/** The first of each HTTP node (a node listed twice is one node, never two replicas). */
const unique = <A>(items: ReadonlyArray<A>, url: (a: A) => string): A[] => {
  const seen = new Set<string>()
  return items.filter((a) => {
    const key = nodeKey(url(a))
    if (key === undefined || seen.has(key)) return false
    seen.add(key)
    return true
  })
}
const uniqueUrls = (urls: ReadonlyArray<string>) => unique(urls, (u) => u)

/** Upload candidates: configured URLs (asking each for its shard) or the indexer's trusted nodes. */
export const uploadCandidates: Effect.Effect<
  ReadonlyArray<NodeRef>,
  NoStorageNodes | NodeRpcError,
  StorageRpc | StorageConfig
> = Effect.gen(function* () {
  const cfg = yield* StorageConfig
  if (cfg.nodeUrls.length > 0) {
    const found = yield* Effect.forEach(
      uniqueUrls(cfg.nodeUrls),
      (url) =>
        zgs.getShardConfig(url).pipe(
          Effect.map((config): NodeRef | undefined => ({ url, config })),
          Effect.orElseSucceed(() => undefined),
        ),
      { concurrency: 8 },
    )
    return found.filter((n): n is NodeRef => n !== undefined)
  }
  if (cfg.indexerUrl !== undefined) {
    const sets = yield* indexer.getShardedNodes(cfg.indexerUrl)
    const listed = sets.trusted.length > 0 ? sets.trusted : sets.discovered
    return unique(listed, (n) => n.url).map((n) => ({ url: n.url, config: n.config }))
  }
  return yield* new NoStorageNodes({ reason: "configure an indexer URL or node URLs" })
})

const notCovering = (count: number, replicas: number) =>
  new NoStorageNodes({ reason: `${count} reachable node(s) do not cover every shard ${replicas} time(s)` })

/** The most candidates an upload probes while replacing unreachable ones (each may stall for a transport deadline). */
export const MAX_UPLOAD_PROBES = 64

/**
 * A covering selection whose every node passes `probe`. A selected node that fails it with a NodeRpcError (it is
 * unreachable or broken) is dropped and the selection made again from the other candidates, so another node covering
 * the same shards takes its place; when none is left, the first such error is the result. Any other error of `probe` (a
 * node naming another chain or Flow) ends the search.
 */
export const answeringUploadNodes = <E, R>(
  probe: (node: NodeRef) => Effect.Effect<void, E | NodeRpcError, R>,
): Effect.Effect<ReadonlyArray<NodeRef>, E | NoStorageNodes | NodeRpcError, R | StorageRpc | StorageConfig> =>
  Effect.gen(function* () {
    const cfg = yield* StorageConfig
    const candidates = yield* uploadCandidates
    const answered = new Set<string>()
    const dead = new Set<string>()
    let firstFailure: NodeRpcError | undefined
    for (;;) {
      const alive = candidates.filter((n) => !dead.has(n.url))
      const selected = selectCovering(alive, cfg.replicas)
      // No cover without the dropped nodes: why the first of them failed says more than the count.
      if (!selected) return yield* firstFailure ?? notCovering(alive.length, cfg.replicas)
      const fresh = selected.filter((n) => !answered.has(n.url))
      if (fresh.length === 0) return selected
      if (answered.size + dead.size + fresh.length > MAX_UPLOAD_PROBES) {
        return yield* firstFailure ?? notCovering(answered.size, cfg.replicas)
      }
      yield* Effect.forEach(
        fresh,
        (n) =>
          probe(n).pipe(
            Effect.flatMap(() => Effect.sync(() => void answered.add(n.url))),
            Effect.catchIf(
              (e): e is NodeRpcError => e instanceof NodeRpcError,
              (e) =>
                Effect.gen(function* () {
                  yield* Effect.logDebug(`upload candidate dropped: ${e.message}`)
                  dead.add(n.url)
                  firstFailure ??= e
                }),
            ),
          ),
        { concurrency: 8, discard: true },
      )
    }
  })

/**
 * The most of the indexer's locations a download asks about. Each costs two calls that may stall until the transport
 * gives up; real files live on a handful of nodes, so a longer list is a hostile or broken indexer's.
 */
export const MAX_INDEXER_LOCATIONS = 32

/**
 * Candidate URLs that may hold `root`: the indexer's first {@link MAX_INDEXER_LOCATIONS} HTTP locations, then every
 * configured node (the caller's own list, never pushed out by the indexer's).
 */
export const fileLocations = (
  root: string,
  reasons?: string[],
): Effect.Effect<ReadonlyArray<string>, never, StorageRpc | StorageConfig> =>
  Effect.gen(function* () {
    const cfg = yield* StorageConfig
    const fromIndexer =
      cfg.indexerUrl === undefined
        ? []
        : yield* indexer.getFileLocations(cfg.indexerUrl, root).pipe(
            Effect.map((nodes) => {
              const urls = uniqueUrls(nodes.map((n) => n.url))
              if (urls.length > MAX_INDEXER_LOCATIONS) {
                reasons?.push(`the indexer listed ${urls.length} locations; asked the first ${MAX_INDEXER_LOCATIONS}`)
              }
              return urls.slice(0, MAX_INDEXER_LOCATIONS)
            }),
            Effect.catchTag("NodeRpcError", (e) =>
              Effect.sync(() => {
                reasons?.push(e.message)
                return [] as string[]
              }),
            ),
          )
    return uniqueUrls([...fromIndexer, ...cfg.nodeUrls])
  })

/** Nodes to upload to: a covering selection of {@link uploadCandidates}, not yet asked anything else. */
export const uploadNodes = answeringUploadNodes(() => Effect.void)
