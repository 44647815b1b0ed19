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
