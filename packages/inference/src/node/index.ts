/**
 * @0g-compute/inference/node — Node-only parts: the local OpenAI-compatible gateway (`makeGateway`, Promise face `startGateway`) and a JSON-file
 * key store for issued API-key ids.
 */

export {
  Budget,
  DEFAULT_MAX_TOKENS,
  IMAGE_PART_TOKENS,
  invalidLimitField,
  maxCostOf,
  type Prices,
  positiveInt,
  type Reservation,
  requestedMaxTokens,
} from "./gateway/budget.js"
export {
  abortOnClientClose,
  attemptFailed,
  coolDown,
  coolOverrun,
  errorBody,
  type FailedAttempt,
  failsOver,
  noProviderAvailable,
  postChat,
  postMedia,
  providerFailureStatus,
  tagOf,
} from "./gateway/http.js"
export { MEDIA_GATEWAY_ROUTES, mediaMaxCost, mediaRequestFields } from "./gateway/media.js"
export { passThrough, type StreamVerifyMode, type Verdict } from "./gateway/relay.js"
export { type ProviderHealth, type RoutedProvider, Router } from "./gateway/router.js"
export {
  type Gateway,
  type GatewayError,
  GatewayListenFailed,
  type GatewayOptions,
  type GatewayProvider,
  type GatewayUsage,
  makeGateway,
  startGateway,
} from "./gateway/server.js"
export { fileKeyStoreLayer, makeFileKeyStore } from "./key-store.js"
