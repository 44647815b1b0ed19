export { bearerOf, bearerSecret, secretMatches } from "./bearer.js"
export {
  HttpFailure,
  type HttpFailureOptions,
  httpFailureOf,
  routeListener,
  sendFailure,
} from "./http-failure.js"
export {
  InvalidJsonBody,
  type JsonErrorDetail,
  jsonErrorBody,
  parseJsonObject,
  RequestBodyTooLarge,
  readBody,
  readJsonObject,
  sendJson,
  sendJsonError,
  toJson,
} from "./http-server.js"
export { formBytes, formText, InvalidMultipartBody, isFormData, parseFormData } from "./multipart.js"
export { freePort } from "./ports.js"
