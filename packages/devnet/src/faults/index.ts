export {
  type FaultRule,
  type RpcFault,
  type RpcFaultProxy,
  type RpcFaultProxyOptions,
  type RpcProxyCounters,
  startRpcFaultProxy,
} from "./rpc-proxy.js"
